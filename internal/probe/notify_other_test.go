//go:build !unix && !windows

package probe

import (
	"errors"
	"testing"
)

func TestNotifyUnsupported(t *testing.T) {
	n, err := ListenNotify()
	if !errors.Is(err, errors.ErrUnsupported) || n != nil {
		t.Errorf("ListenNotify = %v, %v; want errors.ErrUnsupported", n, err)
	}
}
