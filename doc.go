// Package tether keeps sidecar processes honest: it spawns a helper process,
// reads everything it prints, tells when it is ready, restarts it when it
// crashes or wedges, and stops it together with every process it started.
package tether
