package simulator

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/constants"
)

// Settings shared by every simulated node.
type Settings struct {
	Port         int
	RebootDelay  time.Duration
	Disks        []string
	TalosVersion string
	// KubeconfigValidity is how long the admin client certificate of a
	// kubeconfig the Kubeconfig API hands out is valid; 0 means Talos' default.
	KubeconfigValidity time.Duration
	// KubeAPIServer is the real kube-apiserver a bootstrapped cluster serves
	// its Kubernetes API with (kube.go); "": none, the clusters have no
	// Kubernetes API.
	KubeAPIServer string
	// Talosctl is the real talosctl ClusterService.HealthCheck runs Talos'
	// own cluster checks with (healthcheck.go); "": HealthCheck answers
	// FailedPrecondition.
	Talosctl string
}

// kubeconfigValidity is the configured validity, else Talos 1.7's (one year).
func (s Settings) kubeconfigValidity() time.Duration {
	if s.KubeconfigValidity > 0 {
		return s.KubeconfigValidity
	}

	return constants.KubernetesAdminCertDefaultLifetime
}

// Simulator is one process serving many nodes.
type Simulator struct {
	settings Settings
	// offset is how far the nodes' clock is ahead of real time (see now).
	offset atomic.Int64
	// log takes what happens to a node after the start (a boot that failed); nil: nowhere.
	log io.Writer

	mu    sync.Mutex
	nodes map[string]*Node
	order []string

	// data is the simulator's folder for what nodes keep across reboots
	// (etcd's data), made when first needed, removed at shutdown.
	dataMu sync.Mutex
	data   string

	// kubes are the clusters' Kubernetes APIs, by cluster ID (kube.go);
	// kubeClosed once the simulator stops. Never held while taking a node's lock.
	kubeMu     sync.Mutex
	kubes      map[string]*kubeCluster
	kubeClosed bool
}

// Options of Start.
type Options struct {
	Settings
	// Nodes are the nodes' loopback addresses, one per node.
	Nodes []string
	// Control is the loopback address (host:port) of the control API.
	Control string
	// Log takes what happens to a node after the start, e.g. a boot that
	// failed; nil: nowhere.
	Log io.Writer
}

// Ready is what `talos-sim serve` prints once every node listens: the URL of
// the control API, and the nodes' addresses.
type Ready struct {
	Control string   `json:"control"`
	Nodes   []string `json:"nodes"`
}

// Server is a running simulator: its nodes and its control API.
type Server struct {
	Ready

	sim     *Simulator
	control *http.Server
}

// Start boots the simulated nodes on their loopback addresses, and serves
// the control API (control.go); Close stops them all.
func Start(opts Options) (*Server, error) {
	for _, address := range append([]string{hostOf(opts.Control)}, opts.Nodes...) {
		if ip := net.ParseIP(address); ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("%q is not a loopback address: the simulator serves on 127.0.0.0/8 only", address)
		}
	}

	sim := &Simulator{settings: opts.Settings, log: opts.Log, nodes: map[string]*Node{}}

	for _, address := range opts.Nodes {
		if _, dup := sim.nodes[address]; dup {
			sim.shutdown()

			return nil, fmt.Errorf("-nodes: %s is listed twice", address)
		}

		node := newNode(sim, address)
		if err := node.boot(); err != nil {
			sim.shutdown()

			return nil, fmt.Errorf("node %s: %w", address, err)
		}

		sim.nodes[address] = node
		sim.order = append(sim.order, address)
	}

	listener, err := net.Listen("tcp", opts.Control)
	if err != nil {
		sim.shutdown()

		return nil, fmt.Errorf("-control: %w", err)
	}

	control := &http.Server{Handler: sim.controlAPI(), ReadHeaderTimeout: 5 * time.Second}

	go control.Serve(listener) //nolint:errcheck

	return &Server{
		Ready:   Ready{Control: "http://" + listener.Addr().String(), Nodes: opts.Nodes},
		sim:     sim,
		control: control,
	}, nil
}

// Close stops the control API and every node.
func (s *Server) Close() {
	s.control.Close() //nolint:errcheck
	s.sim.shutdown()
}

// logf notes what happens to a node after the start.
func (s *Simulator) logf(format string, args ...any) {
	if s.log != nil {
		fmt.Fprintf(s.log, format, args...)
	}
}

// node returns the simulated node at address, or nil.
func (s *Simulator) node(address string) *Node {
	s.mu.Lock()
	defer s.mu.Unlock()

	return s.nodes[address]
}

// allNodes returns the nodes in the order they were given.
func (s *Simulator) allNodes() []*Node {
	s.mu.Lock()
	defer s.mu.Unlock()

	nodes := make([]*Node, 0, len(s.order))
	for _, address := range s.order {
		nodes = append(nodes, s.nodes[address])
	}

	return nodes
}

// clusterBootstrapped reports whether a control plane of the node's cluster
// (same cluster ID) has been bootstrapped: etcd runs on its control planes then.
func (s *Simulator) clusterBootstrapped(of *Node) bool {
	of.mu.Lock()
	id := clusterID(of)
	of.mu.Unlock()

	for _, node := range s.allNodes() {
		node.mu.Lock()
		bootstrapped := node.bootstraps+node.recoveries > 0 && clusterID(node) == id
		node.mu.Unlock()

		if bootstrapped {
			return true
		}
	}

	return false
}

// clusterID is the ID of the cluster a node is configured for; the caller holds its lock.
func clusterID(n *Node) string {
	if n.config == nil {
		return ""
	}

	return n.config.Cluster().ID()
}

func (s *Simulator) shutdown() {
	// The Kubernetes APIs first: their etcd is about to go.
	s.stopKubes()

	var wg sync.WaitGroup

	for _, node := range s.allNodes() {
		wg.Add(1)

		go func() {
			defer wg.Done()

			node.stop()
		}()
	}

	wg.Wait()
	s.removeData()
}

// dataRoot is the simulator's data folder, "" while it has none.
func (s *Simulator) dataRoot() string {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()

	return s.data
}

// ensureDataRoot makes the simulator's data folder, a temporary one, once.
func (s *Simulator) ensureDataRoot() (string, error) {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()

	if s.data == "" {
		dir, err := os.MkdirTemp("", "talos-sim-")
		if err != nil {
			return "", err
		}

		s.data = dir
	}

	return s.data, nil
}

// removeData removes the data folder: the nodes are stopped.
func (s *Simulator) removeData() {
	s.dataMu.Lock()
	defer s.dataMu.Unlock()

	if s.data != "" {
		if err := os.RemoveAll(s.data); err != nil {
			s.logf("removing %s: %v\n", s.data, err)
		}

		s.data = ""
	}
}

// SplitList splits a comma-separated list, dropping empty entries.
func SplitList(value string) []string {
	var items []string

	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}

	return items
}

func hostOf(address string) string {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return address
	}

	return host
}
