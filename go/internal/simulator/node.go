package simulator

import (
	"context"
	"crypto/sha256"
	stdx509 "crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Modes of a simulated node, as its Talos API shows them.
const (
	ModeMaintenance = "maintenance" // booted from the installer medium, no configuration
	ModeRebooting   = "rebooting"   // installing and rebooting: the port is closed
	ModeWaiting     = "waiting"     // configured worker waiting for a certificate (trustd)
	ModeConfigured  = "configured"  // running Talos: mTLS with the cluster's OS CA
	ModeDown        = "down"        // powered off or unreachable (fault)
)

// Call is one API call a node saw, for tests to read. At is when it ended, at
// real time (not the nodes' clock), to compare with the test's own.
type Call struct {
	Method string    `json:"method"`
	Mode   string    `json:"mode"`
	Code   string    `json:"code"`
	At     time.Time `json:"at"`
	// Ms is how long the call took, injected delays included.
	Ms int64 `json:"ms"`
	// ClientCertificate is the lower-case hex SHA-256 of the DER of the
	// client's certificate, "" without one (maintenance mode): which
	// credentials a client used, e.g. a renewed talosconfig.
	ClientCertificate string `json:"clientCertificate"`
}

// Faults injected into a node through the control API.
type Faults struct {
	Down         bool          `json:"down"`
	Delay        time.Duration `json:"delay"`
	Hang         bool          `json:"hang"`
	RejectCode   string        `json:"rejectCode,omitempty"`
	RejectMethod string        `json:"rejectMethod,omitempty"`
	// LoseReply names a method whose next call the node carries out, and whose
	// reply is then lost: the caller gets Unavailable, as if the connection dropped.
	LoseReply string `json:"loseReply,omitempty"`
	// KubeletDown: the kubelet service has failed (state Failed, unhealthy).
	KubeletDown bool `json:"kubeletDown"`
	// EtcdStopped: the control plane's etcd server is stopped (its service
	// Finished, unhealthy); cleared, it starts again and rejoins its cluster.
	EtcdStopped bool `json:"etcdStopped"`
	// NodeNotReady: its kubelet reports its Node not ready (Ready=False,
	// reason SimulatedNodeNotReady), with the kubelet service running.
	NodeNotReady bool `json:"nodeNotReady"`
	// EtcdDataLost: the control plane's etcd member lost its data (the
	// folder is wiped when the fault is set) and stays stopped while it is
	// set (its service Failed, unhealthy): two of three members so gone, the
	// cluster has no quorum. Cleared, the member starts with no data: it
	// joins its cluster if a healthy one runs, else waits for a bootstrap.
	EtcdDataLost bool `json:"etcdDataLost"`
	// StaticPodDown names a control plane component (kube-apiserver,
	// kube-controller-manager or kube-scheduler) whose static pod is not
	// running on the node: its container is in CrashLoopBackOff, its mirror
	// pod and its StaticPodStatus not ready.
	StaticPodDown string `json:"staticPodDown,omitempty"`
}

// Points at which a hold stops a call.
const (
	HoldBefore = "before" // the node has not carried the call out yet
	HoldAfter  = "after"  // the node has carried it out; the reply is not sent yet
)

// Hold stops every call of a method at a point until it is released, so that
// a test can kill a client exactly where it means to, never by a race.
type Hold struct {
	Method string `json:"method"`
	At     string `json:"at"`
	// Held is how many calls have been stopped at this hold so far.
	Held int `json:"held"`

	release chan struct{}
	reached chan struct{} // closed when the first call is stopped
}

// NodeStatus is what the control API reports of a node.
type NodeStatus struct {
	Address      string `json:"address"`
	Mode         string `json:"mode"`
	Role         string `json:"role"`
	ConfigDigest string `json:"configDigest"`
	InstallDisk  string `json:"installDisk"`
	InstallImage string `json:"installImage"`
	TalosVersion string `json:"talosVersion"`
	Applies      int    `json:"applies"`
	Bootstraps   int    `json:"bootstraps"`
	// Recoveries counts the bootstraps from an etcd snapshot (Bootstrap with
	// recover_etcd), which Bootstraps does not count.
	Recoveries int `json:"recoveries"`
	// Resets counts the Reset calls the node carried out.
	Resets   int    `json:"resets"`
	Boots    int    `json:"boots"`
	Upgrades int    `json:"upgrades"`
	Staged   string `json:"stagedVersion,omitempty"`
	Faults   Faults `json:"faults"`
	Holds    []Hold `json:"holds"`
	Calls    []Call `json:"calls"`
}

// Node is one simulated Talos node on its own loopback address.
type Node struct {
	sim     *Simulator
	address string

	mu           sync.Mutex
	mode         string
	config       config.Provider
	configBytes  []byte
	talosVersion string
	applies      int
	bootstraps   int
	recoveries   int
	resets       int
	boots        int
	upgrades     int
	// Version the node boots into next (an upgrade), and one staged for the reboot after.
	pendingVersion string
	stagedVersion  string
	faults         Faults
	holds          []*Hold
	calls          []Call
	server         *grpc.Server
	rebootTimer    *time.Timer
	// What this boot has: boot ID, COSI resources, events; nil while the node is off.
	session *bootSession
	// Where the API listens: the port the system chose when Settings.Port is 0 (tests).
	listening net.Addr
	// clientCAs are the CAs whose client certificates the node accepts (configured mode).
	clientCAs *stdx509.CertPool

	// etcd is the control plane's embedded etcd member while it runs (etcd.go).
	etcd etcdMember
	// etcdWake tells the etcd service to look again at what it should do.
	etcdWake chan struct{}
	// etcdBootstrap is a Bootstrap whose member has not served yet (nil: none).
	etcdBootstrap *etcdBootstrap
}

func newNode(sim *Simulator, address string) *Node {
	return &Node{
		sim:          sim,
		address:      address,
		mode:         ModeMaintenance,
		talosVersion: sim.settings.TalosVersion,
		etcdWake:     make(chan struct{}, 1),
	}
}

// boot starts the Talos API in the mode the node's configuration implies.
func (n *Node) boot() error {
	n.mu.Lock()
	defer n.mu.Unlock()

	return n.bootLocked()
}

func (n *Node) bootLocked() error {
	if n.faults.Down {
		n.mode = ModeDown

		return nil
	}

	mode := ModeMaintenance

	var (
		creds credentials.TransportCredentials
		err   error
	)

	if n.config == nil {
		creds, err = maintenanceCredentials(n.address)
	} else {
		mode = ModeConfigured
		creds, err = n.configuredCredentialsLocked()

		if errors.Is(err, errNoSigningCA) {
			// Ask again shortly, as a worker asks trustd until a control plane answers.
			n.mode = ModeWaiting
			time.AfterFunc(200*time.Millisecond, n.retryWaitingBoot)

			return nil
		}
	}

	if err != nil {
		return err
	}

	// The version the node boots into: an upgrade's, else a staged one's.
	switch {
	case n.pendingVersion != "":
		n.talosVersion, n.pendingVersion, n.stagedVersion = n.pendingVersion, "", ""
	case n.stagedVersion != "" && n.config != nil:
		n.talosVersion, n.stagedVersion = n.stagedVersion, ""
	}

	stage := runtime.MachineStageMaintenance
	if mode == ModeConfigured {
		stage = runtime.MachineStageRunning
	}

	boot, err := newBootSession(stage)
	if err != nil {
		return err
	}

	controlPlane := mode == ModeConfigured && n.config.Machine().Type().IsControlPlane()

	if mode == ModeConfigured {
		if err := boot.addEphemeralMount(partitionOf(n.installDiskLocked(), ephemeralPartition)); err != nil {
			return err
		}

		boot.services = newServiceTable(n.sim.now, controlPlane, n.faults.KubeletDown)
	}

	listener, err := net.Listen("tcp", net.JoinHostPort(n.address, strconv.Itoa(n.sim.settings.Port)))
	if err != nil {
		return err
	}

	n.session = boot

	server := grpc.NewServer(
		grpc.Creds(creds),
		grpc.UnaryInterceptor(n.unaryInterceptor),
		grpc.StreamInterceptor(n.streamInterceptor),
	)
	boot.api = nodeAPI(n, boot)
	registerServices(server, boot.api)

	go server.Serve(listener) //nolint:errcheck

	n.server = server
	n.listening = listener.Addr()
	n.mode = mode
	n.boots++

	n.sim.pokeKube() // its kubelet reports again

	if controlPlane {
		// machined's etcd service, for this boot: it ends with the boot (detachLocked).
		boot.etcdDone = make(chan struct{})

		go func() {
			defer close(boot.etcdDone)

			n.superviseEtcd(boot.ctx, boot)
		}()
	}

	return nil
}

// installDiskLocked is the disk the node installed Talos to: its
// configuration's, else the first the node has.
func (n *Node) installDiskLocked() string {
	if disk, _ := n.config.Machine().Install().Disk(); disk != "" { //nolint:errcheck
		return disk
	}

	if len(n.sim.settings.Disks) > 0 {
		return n.sim.settings.Disks[0]
	}

	return "/dev/sda"
}

// detached is what a boot leaves to stop once the node's lock is released:
// its API server, and its etcd service.
type detached struct {
	server *grpc.Server
	etcd   chan struct{} // closed once the etcd service stopped
}

// shutDown closes the API server's port, letting calls in flight finish
// briefly, and waits for the etcd server to stop. Never called with the
// node's lock held: a call in flight may need the lock to finish, and the
// server waits for it.
func (d detached) shutDown() {
	shutDown(d.server)

	if d.etcd != nil {
		<-d.etcd
	}
}

// detachLocked takes the node's API server and its etcd away (to be stopped
// with shutDown once the lock is released) and cancels a pending reboot. A
// reboot shuts etcd down (it hands its leadership over); otherwise the
// power goes (etcd just stops).
func (n *Node) detachLocked(reboot bool) detached {
	if n.rebootTimer != nil {
		n.rebootTimer.Stop()
		n.rebootTimer = nil
	}

	var d detached

	// The boot ends: its event streams close, as when a Talos node goes
	// down, and its etcd service stops (it watches the boot's context).
	if n.session != nil {
		n.session.powerOff.Store(!reboot)
		n.session.end()
		d.etcd = n.session.etcdDone
		n.session = nil
	}

	d.server = n.server
	n.server = nil

	n.sim.pokeKube() // its kubelet stops reporting

	return d
}

// shutDown closes a server's port, letting calls in flight finish briefly.
func shutDown(server *grpc.Server) {
	if server == nil {
		return
	}

	done := make(chan struct{})

	go func() {
		server.GracefulStop()
		close(done)
	}()

	select {
	case <-done:
	case <-time.After(2 * time.Second):
		server.Stop()
	}
}

func (n *Node) stop() {
	n.mu.Lock()
	d := n.detachLocked(false)
	n.mu.Unlock()

	d.shutDown()
}

// rebootAfterReply reboots the node once the current reply is on its way:
// Talos answers ApplyConfiguration first, then installs and reboots.
func (n *Node) rebootAfterReply() {
	n.goDownAfterReply(nil, nil)
}

// goDownAfterReply takes the node down once the current reply is on its way
// (its port closes, its etcd stops) and boots it again after the reboot
// delay. stopping, if given, runs first, the node still up (a reset
// publishes that its services stop). whileOff, if given, runs once the node
// is off, without its lock (a reset wipes there); it returns whether the
// node stays powered off instead of booting again.
func (n *Node) goDownAfterReply(stopping func(), whileOff func() (powerOff bool)) {
	go func() {
		time.Sleep(50 * time.Millisecond)

		if stopping != nil {
			stopping()
		}

		n.mu.Lock()
		d := n.detachLocked(!n.faults.Down)
		down := n.faults.Down

		if down {
			n.mode = ModeDown
		} else {
			n.mode = ModeRebooting
		}
		n.mu.Unlock()

		d.shutDown()

		if whileOff != nil && whileOff() {
			n.mu.Lock()
			n.faults.Down, n.mode = true, ModeDown
			n.mu.Unlock()

			return
		}

		if down {
			return
		}

		n.mu.Lock()
		defer n.mu.Unlock()

		if n.mode != ModeRebooting {
			return
		}

		n.rebootTimer = time.AfterFunc(n.sim.settings.RebootDelay, func() {
			n.mu.Lock()
			defer n.mu.Unlock()

			n.rebootTimer = nil
			if n.mode != ModeRebooting {
				return
			}

			n.bootOrLogLocked()
		})
	}()
}

// retryWaitingBoot brings a waiting worker up once it can get a certificate.
func (n *Node) retryWaitingBoot() {
	n.mu.Lock()
	defer n.mu.Unlock()

	if n.mode == ModeWaiting {
		n.bootOrLogLocked()
	}
}

// bootOrLogLocked boots the node where no one waits for the outcome: a boot
// that failed is logged.
func (n *Node) bootOrLogLocked() {
	if err := n.bootLocked(); err != nil {
		n.sim.logf("node %s: boot failed: %v\n", n.address, err)
	}
}

// setDown powers the node off (port closed) or on again.
func (n *Node) setDown(down bool) error {
	n.mu.Lock()

	n.faults.Down = down
	if down {
		d := n.detachLocked(false)
		n.mode = ModeDown
		n.mu.Unlock()

		d.shutDown()

		return nil
	}

	defer n.mu.Unlock()

	if n.mode == ModeDown {
		return n.bootLocked()
	}

	return nil
}

// hold arms a hold on a method at a point (HoldBefore or HoldAfter).
func (n *Node) hold(method, at string) error {
	if at != HoldBefore && at != HoldAfter {
		return fmt.Errorf("hold: at %q is neither %q nor %q", at, HoldBefore, HoldAfter)
	}

	n.mu.Lock()
	defer n.mu.Unlock()

	for _, h := range n.holds {
		if h.Method == method && h.At == at {
			return nil
		}
	}

	n.holds = append(n.holds, &Hold{Method: method, At: at, release: make(chan struct{}), reached: make(chan struct{})})

	return nil
}

// release lets every call held on a method go on, and disarms its holds.
func (n *Node) releaseHolds(method string) {
	n.mu.Lock()
	defer n.mu.Unlock()

	kept := n.holds[:0]

	for _, h := range n.holds {
		if h.Method == method {
			close(h.release)
		} else {
			kept = append(kept, h)
		}
	}

	n.holds = kept
}

// waitHeld waits until a call is stopped at a hold, or the timeout passes.
func (n *Node) waitHeld(method, at string, timeout time.Duration) error {
	n.mu.Lock()

	var reached chan struct{}

	for _, h := range n.holds {
		if h.Method == method && h.At == at {
			reached = h.reached
		}
	}
	n.mu.Unlock()

	if reached == nil {
		return fmt.Errorf("no hold on %s %s at node %s", method, at, n.address)
	}

	select {
	case <-reached:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("no call of %s reached its hold (%s) at node %s within %s", method, at, n.address, timeout)
	}
}

// stopAt holds a call at a point when a hold is armed there, until it is
// released or the caller goes away. It reports whether the caller went away
// meanwhile: a call held before the node carries it out then never takes effect.
func (n *Node) stopAt(ctx context.Context, method, at string) bool {
	n.mu.Lock()

	var armed *Hold

	for _, h := range n.holds {
		if h.Method == method && h.At == at {
			armed = h
		}
	}

	if armed == nil {
		n.mu.Unlock()

		return false
	}

	armed.Held++
	if armed.Held == 1 {
		close(armed.reached)
	}
	n.mu.Unlock()

	select {
	case <-armed.release:
		return ctx.Err() != nil
	case <-ctx.Done():
		return true
	}
}

// takeLostReply reports whether the reply to this call is to be lost, once.
func (n *Node) takeLostReply(method string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()

	if n.faults.LoseReply != method {
		return false
	}

	n.faults.LoseReply = ""

	return true
}

// setFaults replaces the faults (delay, hang, reject, lost reply, kubelet
// down, etcd stopped, node not ready, static pod down); Down is kept. The
// services follow at once: the kubelet fails or runs again, etcd stops or
// starts again, and the cluster's Kubernetes objects are brought in step.
func (n *Node) setFaults(faults Faults) {
	n.mu.Lock()
	faults.Down = n.faults.Down
	n.faults = faults

	var services *serviceTable
	if n.session != nil {
		services = n.session.services
	}
	n.mu.Unlock()

	if services != nil {
		services.setKubelet(faults.KubeletDown)
	}

	n.pokeEtcd()
	n.sim.pokeKube()
}

// reimage wipes the node and boots it into maintenance mode again, as a
// Cloudkoffer re-imaged between uses.
func (n *Node) reimage() error {
	n.mu.Lock()
	d := n.detachLocked(false)
	n.mu.Unlock()

	d.shutDown()
	n.wipeEphemeral()

	n.mu.Lock()
	cluster := clusterID(n)
	n.config = nil
	n.configBytes = nil
	n.bootstraps, n.recoveries = 0, 0
	n.etcdBootstrap = nil
	n.talosVersion = n.sim.settings.TalosVersion
	n.pendingVersion, n.stagedVersion = "", ""

	err := n.bootLocked()
	n.mu.Unlock()

	// Its Node leaves the cluster; the cluster's Kubernetes API stops with
	// its last control plane.
	n.sim.kubeClusterLeft(cluster)
	n.sim.pokeKube()

	return err
}

func (n *Node) status() NodeStatus {
	n.mu.Lock()
	defer n.mu.Unlock()

	status := NodeStatus{
		Address:      n.address,
		Mode:         n.mode,
		TalosVersion: n.talosVersion,
		Applies:      n.applies,
		Bootstraps:   n.bootstraps,
		Recoveries:   n.recoveries,
		Resets:       n.resets,
		Boots:        n.boots,
		Upgrades:     n.upgrades,
		Staged:       n.stagedVersion,
		Faults:       n.faults,
		Holds:        []Hold{},
		Calls:        append([]Call{}, n.calls...),
	}

	for _, h := range n.holds {
		status.Holds = append(status.Holds, Hold{Method: h.Method, At: h.At, Held: h.Held})
	}

	if n.config != nil {
		digest := sha256.Sum256(n.configBytes)
		status.ConfigDigest = hex.EncodeToString(digest[:])
		status.Role = n.config.Machine().Type().String()
		status.InstallDisk, _ = n.config.Machine().Install().Disk() //nolint:errcheck
		status.InstallImage = n.config.Machine().Install().Image()
	}

	return status
}

// record notes a call; ctx is the call's, whose peer is the client.
func (n *Node) record(ctx context.Context, method, mode, code string, started time.Time) {
	certificate := peerCertificateDigest(ctx)

	n.mu.Lock()
	defer n.mu.Unlock()

	now := time.Now()
	n.calls = append(n.calls, Call{
		Method:            method,
		Mode:              mode,
		Code:              code,
		At:                now.UTC(),
		Ms:                now.Sub(started).Milliseconds(),
		ClientCertificate: certificate,
	})
}
