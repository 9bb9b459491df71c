//go:build !linux

package simulator

import "syscall"

// childProcessAttributes: nothing more than the defaults off Linux.
func childProcessAttributes() *syscall.SysProcAttr {
	return nil
}
