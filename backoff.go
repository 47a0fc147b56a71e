package tether

import (
	"math"
	"time"
)

// maxDelay is the longest delay: 2^62 ns, about 146 years, well inside a
// Duration however jitter moves it.
const maxDelay = 1 << 62

// delay returns the wait before the next attempt after failures consecutive
// failed attempts (failures >= 1): Initial × Factor^(failures-1), capped at
// Max, then moved by (2u-1)×Jitter of itself, u being a uniform random number
// in [0, 1). b must be resolved (no zero fields but Jitter).
func (b Backoff) delay(failures int, u float64) time.Duration {
	if failures < 1 {
		failures = 1
	}
	d := float64(b.Initial) * math.Pow(b.Factor, float64(failures-1))
	if d > float64(b.Max) || math.IsInf(d, 0) || math.IsNaN(d) {
		d = float64(b.Max)
	}
	d += d * b.Jitter * (2*u - 1)
	switch {
	case d < 0 || math.IsNaN(d):
		d = 0
	case d >= maxDelay:
		// Past the largest Duration the conversion would wrap to a
		// negative delay: clamp instead.
		return time.Duration(maxDelay)
	}
	return time.Duration(d)
}
