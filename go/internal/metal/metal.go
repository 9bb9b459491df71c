// Package metal is Talos' runtime mode of a bare-metal node, for validating
// machine configurations as a Cloudkoffer's nodes do.
package metal

// Mode is the runtime mode of a bare-metal node: it installs to a disk and
// does not run in a container.
type Mode struct{}

func (Mode) String() string        { return "metal" }
func (Mode) RequiresInstall() bool { return true }
func (Mode) InContainer() bool     { return false }
