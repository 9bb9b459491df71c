package simulator

import "syscall"

// childProcessAttributes: a child the simulator starts (kube-apiserver,
// talosctl) is killed when the simulator dies, even without a chance to stop it.
func childProcessAttributes() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
