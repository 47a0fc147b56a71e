package proctest

import (
	"io"
	"math/rand/v2"
)

// WriteChopped writes b to w in writes of random sizes from 1 to maxWrite
// bytes, the sizes drawn from seed, as a sidecar that flushes at odd
// moments would. It returns the first write error.
func WriteChopped(w io.Writer, b []byte, seed uint64, maxWrite int) error {
	r := rand.New(rand.NewPCG(seed, 7))
	for len(b) > 0 {
		n := min(len(b), 1+r.IntN(maxWrite))
		if _, err := w.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
