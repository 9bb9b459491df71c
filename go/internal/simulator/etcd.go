package simulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/constants"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// A control plane's etcd, as Talos runs it, but embedded in this process:
// an etcd server (go.etcd.io/etcd/server/v3, the version Talos 1.7.4 pins)
// on the node's own address, client URL http://<address>:2379 and peer URL
// http://<address>:2380 (plain HTTP: loopback only), its member name the
// node's address (the simulator's nodes have no other hostname).
//
// As machined's etcd service: nothing runs before the cluster is bootstrapped
// (the service waits, Preparing); Bootstrap on a control plane starts a
// one-member cluster; every other control plane of the cluster then joins it,
// one at a time (a member is added as a learner through the running cluster,
// started with initial-cluster-state=existing, then promoted). The data stays
// in a folder of the node across reboots: a node that boots again restarts
// its member from it and rejoins its cluster. The folders go when the
// simulator stops, when the node is re-imaged or reset with EPHEMERAL wiped,
// or under the fault etcdDataLost: a member started without data joins a
// healthy cluster of its own if one runs, else waits for a bootstrap, which
// may recover a snapshot (recovery.go).

const (
	etcdRetryInterval  = 500 * time.Millisecond
	etcdHealthInterval = time.Second
	etcdCallTimeout    = 5 * time.Second
)

// etcdMember is a node's embedded etcd while it runs.
type etcdMember struct {
	mu      sync.Mutex
	server  *embed.Etcd
	client  *clientv3.Client // to the member's own client URL
	healthy bool             // the last health check passed (a voting member with a leader)
}

func (e *etcdMember) attach(server *embed.Etcd, client *clientv3.Client) {
	e.mu.Lock()
	defer e.mu.Unlock()

	e.server, e.client, e.healthy = server, client, false
}

func (e *etcdMember) detach() {
	e.mu.Lock()
	defer e.mu.Unlock()

	e.server, e.client, e.healthy = nil, nil, false
}

func (e *etcdMember) setHealthy(healthy bool) {
	e.mu.Lock()
	defer e.mu.Unlock()

	e.healthy = healthy
}

// localClient is a client of the member's own client URL, nil while it does not run.
func (e *etcdMember) localClient() *clientv3.Client {
	e.mu.Lock()
	defer e.mu.Unlock()

	return e.client
}

// healthyMember reports whether the member runs and passed its last health check.
func (e *etcdMember) healthyMember() bool {
	e.mu.Lock()
	defer e.mu.Unlock()

	return e.server != nil && e.healthy
}

func (n *Node) etcdName() string { return n.address }

func (n *Node) etcdPeerURL() string {
	return "http://" + net.JoinHostPort(n.address, strconv.Itoa(constants.EtcdPeerPort))
}

func (n *Node) etcdClientURL() string {
	return "http://" + net.JoinHostPort(n.address, strconv.Itoa(constants.EtcdClientPort))
}

// etcdDataDir is where the node's etcd keeps its data ("" if the simulator has no folder yet).
func (n *Node) etcdDataDir() string {
	root := n.sim.dataRoot()
	if root == "" {
		return ""
	}

	return filepath.Join(root, n.address, "etcd")
}

// etcdHasData reports whether the node's etcd has data: it was a member once.
func (n *Node) etcdHasData() bool {
	dir := n.etcdDataDir()
	if dir == "" {
		return false
	}

	_, err := os.Stat(filepath.Join(dir, "member"))

	return err == nil
}

// etcdSnapshotPath is where an uploaded snapshot waits for a Bootstrap that
// recovers from it (Talos' /var/lib/etcd.snapshot, on EPHEMERAL too).
func (n *Node) etcdSnapshotPath() string {
	return filepath.Join(n.sim.dataRoot(), n.address, "etcd.snapshot")
}

// etcdRestoredDir is where a snapshot is restored to before the member starts from it.
func (n *Node) etcdRestoredDir() string {
	return filepath.Join(n.sim.dataRoot(), n.address, "etcd.restored")
}

// wipeEphemeral removes what the node keeps on EPHEMERAL (/var): the etcd
// data, an uploaded snapshot, a restored one not started from yet.
func (n *Node) wipeEphemeral() {
	n.wipeEtcdData()

	if n.sim.dataRoot() == "" {
		return
	}

	for _, path := range []string{n.etcdSnapshotPath(), n.etcdRestoredDir()} {
		if err := os.RemoveAll(path); err != nil {
			n.sim.logf("node %s: removing %s: %v\n", n.address, path, err)
		}
	}
}

// wipeEtcdData removes the etcd data of the node (a re-image, or a member
// that never started from it).
func (n *Node) wipeEtcdData() {
	if dir := n.etcdDataDir(); dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			n.sim.logf("node %s: removing the etcd data: %v\n", n.address, err)
		}
	}
}

// pokeEtcd wakes the node's etcd service to look again at what it should do.
func (n *Node) pokeEtcd() {
	select {
	case n.etcdWake <- struct{}{}:
	default:
	}
}

// pokeEtcd wakes every node's etcd service: a member of a cluster became
// healthy, which a control plane waiting to join needs.
func (s *Simulator) pokeEtcd() {
	for _, node := range s.allNodes() {
		node.pokeEtcd()
	}
}

// etcdEndpoints are the client URLs of the healthy etcd members of a cluster, but except's.
func (s *Simulator) etcdEndpoints(cluster, except string) []string {
	var endpoints []string

	for _, node := range s.allNodes() {
		if node.address == except {
			continue
		}

		node.mu.Lock()
		same := node.config != nil && clusterID(node) == cluster
		node.mu.Unlock()

		if same && node.etcd.healthyMember() {
			endpoints = append(endpoints, node.etcdClientURL())
		}
	}

	return endpoints
}

// etcdBootstrap is a Bootstrap carried out on the node whose member has not
// served yet: it starts a new one-member cluster, empty, or from a snapshot
// restored into restoredDir (Bootstrap with recover_etcd). It is kept until
// the member served once (a reboot meanwhile keeps it: the simulator's
// member may lose unserved data, Talos' would not), and goes with a reset.
type etcdBootstrap struct {
	restoredDir string // "" for a plain bootstrap
}

// etcdPlan is what the node's etcd service should do now.
type etcdPlan struct {
	run      bool   // a configured control plane whose etcd is not stopped by a fault
	stopped  bool   // the fault etcdStopped
	dataLost bool   // the fault etcdDataLost
	cluster  string // its cluster's ID
	// bootstrap: a Bootstrap waits for the member to start a new cluster.
	bootstrap *etcdBootstrap
}

func (n *Node) etcdPlan() etcdPlan {
	n.mu.Lock()
	defer n.mu.Unlock()

	if n.config == nil || !n.config.Machine().Type().IsControlPlane() || n.session == nil {
		return etcdPlan{}
	}

	return etcdPlan{
		run:       !n.faults.EtcdStopped && !n.faults.EtcdDataLost,
		stopped:   n.faults.EtcdStopped,
		dataLost:  n.faults.EtcdDataLost,
		bootstrap: n.etcdBootstrap,
		cluster:   clusterID(n),
	}
}

// errEtcdWaiting: no data, no bootstrap here, and no member to join through
// yet, or joining failed for now: the service stays Preparing and retries, as
// Talos' etcd service retries joining in its pre state.
var errEtcdWaiting = errors.New("etcd is waiting to join the cluster")

// superviseEtcd is a control plane's etcd service for one boot, until ctx
// (the boot's) ends: it waits for the cluster to be bootstrapped, runs the
// member, restarts it after a failure, stops it under the fault etcdStopped
// and starts it again once the fault is cleared.
func (n *Node) superviseEtcd(ctx context.Context, boot *bootSession) {
	services := boot.services

	for ctx.Err() == nil {
		plan := n.etcdPlan()

		wait := etcdRetryInterval

		switch {
		case plan.dataLost:
			// The member stopped already (runEtcd returns once the plan changes): its data goes.
			n.wipeEtcdData()
			services.setHealth("etcd", false, "etcd member data lost")
			services.set("etcd", ServiceFailed, "Failed to run service: simulated fault etcdDataLost: the member's data is lost")
		case plan.stopped:
			services.setHealth("etcd", false, "etcd is stopped")
			services.set("etcd", ServiceFinished, "Service finished successfully (stopped by the simulated fault etcdStopped)")
		case plan.run:
			err := n.runEtcd(ctx, plan, boot)

			switch {
			case ctx.Err() != nil:
				return
			case errors.Is(err, errEtcdWaiting):
				services.set("etcd", ServicePreparing, "Running pre state")
			case err != nil:
				n.sim.logf("node %s: etcd: %v\n", n.address, err)
				services.setHealth("etcd", false, err.Error())
				services.set("etcd", ServiceFailed, "Failed to run service: "+err.Error())

				wait = 2 * etcdRetryInterval
			default:
				continue // stopped as the plan changed: look again at once
			}
		}

		select {
		case <-ctx.Done():
			return
		case <-n.etcdWake:
		case <-time.After(wait):
		}
	}
}

// runEtcd starts the node's member (from its data, as a new cluster after a
// bootstrap, or joining the cluster) and runs it until ctx ends, the plan
// changes (a fault) or the server fails.
func (n *Node) runEtcd(ctx context.Context, plan etcdPlan, boot *bootSession) error {
	services := boot.services

	recovered, err := n.moveRestoredData(plan)
	if err != nil {
		return err
	}

	hadData := n.etcdHasData()

	cfg, err := n.etcdConfig(ctx, plan, hadData)
	if err != nil {
		return err
	}

	services.set("etcd", ServicePreparing, "Creating service runner")
	services.setHealthUnknown("etcd")

	server, err := embed.StartEtcd(cfg)
	if err != nil {
		if !hadData {
			n.wipeEtcdData()
		}

		return fmt.Errorf("starting etcd: %w", err)
	}

	client, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{n.etcdClientURL()},
		DialTimeout: etcdCallTimeout,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		stopEtcd(server, false)

		return fmt.Errorf("etcd client: %w", err)
	}

	n.etcd.attach(server, client)
	services.set("etcd", ServiceRunning, "Started task etcd (PID 2125) for container etcd")

	ready := false

	defer func() {
		n.etcd.detach()
		client.Close() //nolint:errcheck
		stopEtcd(server, !boot.powerOff.Load())

		if !hadData && !ready {
			// It never served: the next start joins afresh (and replaces the member added for it).
			n.wipeEtcdData()
		}
	}()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	// A learner (just joined, or rebooted before its promotion) is promoted once it caught up.
	go n.promoteEtcdMember(runCtx, plan.cluster, uint64(server.Server.ID()))

	readyNotify := server.Server.ReadyNotify()
	health := time.NewTicker(etcdHealthInterval)

	defer health.Stop()

	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-server.Err():
			return fmt.Errorf("etcd failed: %w", err)
		case <-server.Server.StopNotify():
			return errors.New("etcd stopped")
		case <-n.etcdWake:
			if now := n.etcdPlan(); !now.run {
				return nil
			}
		case <-readyNotify:
			readyNotify, ready = nil, true

			n.etcdBootstrapServed(plan.bootstrap)
			n.checkEtcdHealth(ctx, client, services)

			if recovered {
				// The cluster's Kubernetes API reads the restored data afresh,
				// as the kube-apiservers of Talos' rebooted control planes do.
				n.sim.kubeRestart(plan.cluster)
			}
		case <-health.C:
			if ready {
				n.checkEtcdHealth(ctx, client, services)
			}
		}
	}
}

// etcdConfig is the configuration of the node's member: from its data, as a
// new cluster (bootstrap), or joining the cluster (it adds the member as a
// learner).
func (n *Node) etcdConfig(ctx context.Context, plan etcdPlan, hadData bool) (*embed.Config, error) {
	peer, err := url.Parse(n.etcdPeerURL())
	if err != nil {
		return nil, err
	}

	client, err := url.Parse(n.etcdClientURL())
	if err != nil {
		return nil, err
	}

	cfg := embed.NewConfig()
	cfg.Name = n.etcdName()
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.InitialCluster = cfg.Name + "=" + peer.String()
	cfg.ClusterState = embed.ClusterStateFlagNew
	// Quiet: the simulator's output is its ready line and what goes wrong.
	cfg.Logger = "zap"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	// The data lives as long as the simulator: no need to wait for the disk.
	cfg.UnsafeNoFsync = true
	// No HTTP gateway to the gRPC API: its client connection to the member
	// itself would hold a stopping member for its whole request timeout (7 s).
	cfg.EnableGRPCGateway = false

	switch {
	case hadData: // a restart, or a restored snapshot: the data says which cluster
	case plan.bootstrap != nil:
	default:
		if cfg.InitialCluster, err = n.addEtcdMember(ctx, plan.cluster); err != nil {
			return nil, fmt.Errorf("%w: %w", errEtcdWaiting, err)
		}

		cfg.ClusterState = embed.ClusterStateFlagExisting
	}

	// The simulator's data folder, made once a member is to start.
	root, err := n.sim.ensureDataRoot()
	if err != nil {
		return nil, err
	}

	cfg.Dir = filepath.Join(root, n.address, "etcd")

	return cfg, nil
}

// moveRestoredData puts a snapshot restored for a Bootstrap with
// recover_etcd in place as the member's data (the member is not running:
// the etcd service starts it next), and reports whether it did.
func (n *Node) moveRestoredData(plan etcdPlan) (bool, error) {
	if plan.bootstrap == nil || plan.bootstrap.restoredDir == "" {
		return false, nil
	}

	if n.etcdHasData() {
		return false, nil // the member has data after all: it starts from it
	}

	if err := os.RemoveAll(n.etcdDataDir()); err != nil {
		return false, err
	}

	if err := os.Rename(plan.bootstrap.restoredDir, n.etcdDataDir()); err != nil {
		if _, statErr := os.Stat(plan.bootstrap.restoredDir); os.IsNotExist(statErr) {
			return false, nil // moved by an earlier start already
		}

		return false, fmt.Errorf("moving the restored etcd data in place: %w", err)
	}

	return true, nil
}

// etcdBootstrapServed forgets a Bootstrap once its member served.
func (n *Node) etcdBootstrapServed(bootstrap *etcdBootstrap) {
	if bootstrap == nil {
		return
	}

	n.mu.Lock()
	defer n.mu.Unlock()

	if n.etcdBootstrap == bootstrap {
		n.etcdBootstrap = nil
	}
}

// addEtcdMember adds the node to its cluster as a learner, through a healthy
// member, as Talos does (a member of the same name or peer URL is removed
// first: the node's old self), and returns the initial cluster to start
// with.
func (n *Node) addEtcdMember(ctx context.Context, cluster string) (string, error) {
	endpoints := n.sim.etcdEndpoints(cluster, n.address)
	if len(endpoints) == 0 {
		return "", errEtcdWaiting
	}

	client, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: etcdCallTimeout, Logger: zap.NewNop()})
	if err != nil {
		return "", err
	}
	defer client.Close() //nolint:errcheck

	ctx, cancel := context.WithTimeout(ctx, etcdCallTimeout)
	defer cancel()

	ctx = clientv3.WithRequireLeader(ctx)

	list, err := client.MemberList(ctx)
	if err != nil {
		return "", fmt.Errorf("error getting etcd member list: %w", err)
	}

	for _, member := range list.Members {
		if member.Name == n.etcdName() || slices.Contains(member.PeerURLs, n.etcdPeerURL()) {
			if _, err := client.MemberRemove(ctx, member.ID); err != nil {
				return "", fmt.Errorf("error removing self from the member list: %w", err)
			}
		}
	}

	added, err := client.MemberAddAsLearner(ctx, []string{n.etcdPeerURL()})
	if err != nil {
		return "", fmt.Errorf("error adding member: %w", err)
	}

	var initial []string

	for _, member := range added.Members {
		name := member.Name
		if member.ID == added.Member.ID {
			name = n.etcdName()
		}

		for _, peer := range member.PeerURLs {
			initial = append(initial, name+"="+peer)
		}
	}

	return strings.Join(initial, ","), nil
}

// promoteEtcdMember promotes the node's member to a voting one if it is a
// learner, once it caught up with the leader, through the cluster's healthy
// members, as Talos does after a join; also after a restart from data, for
// a learner that rebooted before its promotion. It stops once the member is
// healthy (a learner never is: it serves no linearizable read).
func (n *Node) promoteEtcdMember(ctx context.Context, cluster string, id uint64) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(etcdRetryInterval):
		}

		if n.etcd.healthyMember() {
			return
		}

		endpoints := n.sim.etcdEndpoints(cluster, n.address)
		if len(endpoints) == 0 {
			continue
		}

		client, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: etcdCallTimeout, Logger: zap.NewNop()})
		if err != nil {
			continue
		}

		callCtx, cancel := context.WithTimeout(ctx, etcdCallTimeout)
		_, err = client.MemberPromote(callCtx, id)

		cancel()
		client.Close() //nolint:errcheck

		if err == nil {
			n.pokeEtcd() // its health changes now
		}
	}
}

// checkEtcdHealth is the etcd service's health check: a linearizable read
// through the member, which needs a leader and a voting member.
func (n *Node) checkEtcdHealth(ctx context.Context, client *clientv3.Client, services *serviceTable) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()

	_, err := client.Get(clientv3.WithRequireLeader(ctx), "health")

	healthy := err == nil
	if healthy {
		services.setHealth("etcd", true, "")
	} else {
		services.setHealth("etcd", false, err.Error())
	}

	wasHealthy := n.etcd.healthyMember()
	n.etcd.setHealthy(healthy)

	if healthy && !wasHealthy {
		n.sim.pokeEtcd() // a control plane waiting to join may join through it now

		n.mu.Lock()
		cluster := clusterID(n)
		n.mu.Unlock()

		n.sim.etcdServes(cluster) // the cluster's Kubernetes API may start now (kube.go)
	}
}

// stopEtcd stops an embedded etcd server and frees its ports: gracefully
// (it hands its leadership over, as a member shutting down does), or at once
// (power off).
//
// embed.Etcd.Close of etcd 3.5 waits for the client serving, which starts
// only once the member is ready (it joined, with a quorum): for a member
// that never got there, Close would wait forever. That one is stopped here
// instead, its listeners closed; its serving goroutine stays blocked,
// waiting for a readiness that never comes.
func stopEtcd(server *embed.Etcd, graceful bool) {
	select {
	case <-server.Server.ReadyNotify():
		if !graceful {
			server.Server.HardStop()
		}

		server.Close()
	default:
		server.Server.HardStop()

		for _, listener := range server.Clients {
			listener.Close() //nolint:errcheck
		}

		for _, peer := range server.Peers {
			peer.Close() //nolint:errcheck
		}
	}
}

// awaitEtcdFault waits until a running control plane's etcd service shows
// the fault etcdStopped or etcdDataLost, which its supervisor applies on its
// own time; without either fault, or without a running etcd service, it
// returns at once.
func (n *Node) awaitEtcdFault(faults Faults, timeout time.Duration) error {
	if !faults.EtcdStopped && !faults.EtcdDataLost {
		return nil
	}

	want := ServiceFinished
	if faults.EtcdDataLost {
		want = ServiceFailed
	}

	deadline := time.Now().Add(timeout)

	for {
		n.mu.Lock()
		session := n.session
		controlPlane := n.config != nil && n.config.Machine().Type().IsControlPlane()
		n.mu.Unlock()

		if session == nil || session.services == nil || !controlPlane || session.services.state("etcd") == "" {
			return nil
		}

		if session.services.state("etcd") == want {
			return nil
		}

		if time.Now().After(deadline) {
			return fmt.Errorf("faults: etcd on %s did not stop within %s", n.address, timeout)
		}

		time.Sleep(10 * time.Millisecond)
	}
}
