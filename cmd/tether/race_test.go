//go:build race

package main

// raceEnabled: the tests run with -race, so tether is built with it too.
const raceEnabled = true
