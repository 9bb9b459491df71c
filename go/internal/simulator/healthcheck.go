package simulator

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/clientcert"
	clusterapi "github.com/siderolabs/talos/pkg/machinery/api/cluster"
	"github.com/siderolabs/talos/pkg/machinery/role"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"gopkg.in/yaml.v3"
)

// ClusterService.HealthCheck, as machined answers it
// (internal/app/machined/internal/server/v1alpha1/v1alpha1_cluster.go of
// Talos 1.7.4): it runs Talos' own cluster checks
// (check.DefaultClusterChecks, pkg/cluster/check) against the cluster the
// request describes, within the request's wait timeout, and streams each
// progress line as a HealthCheckProgress message; it fails with the error
// the checks ended with.
//
// machined runs the check package in-process; the simulator has no copy of
// it (it lives in Talos' main module), so it runs the real talosctl
// (Settings.Talosctl) as `talosctl health --server=false`, which runs the
// same checks in the same order, through this node: in a temporary folder,
// a talosconfig with a client certificate the simulator signs with the
// cluster's OS CA (role os:admin), endpoint and node this node. The first
// message is machined's ("discovered nodes: [...]"), then one per progress
// line talosctl reports (a report that spans lines, as a list of errors,
// is one message, as machined sends it). The caller going away (or the
// node going down) ends talosctl.
//
// How the failure reaches the caller is apid's: a call that names the node
// in "nodes" metadata (talosctl health does) is proxied one-to-many, and the
// error arrives as a last message whose Metadata.Error says it; a call that
// names no node (the provider's talos_cluster_health) reaches machined
// directly, and the stream ends with the error (a gRPC status).

const healthCheckStopGrace = 2 * time.Second

type clusterService struct {
	clusterapi.UnimplementedClusterServiceServer

	node *Node
}

// HealthCheck runs Talos' cluster checks through talosctl and streams their
// progress. Its error reaches a caller who named this node in "nodes" as
// apid's one-to-many proxying hands it on: as a last message whose metadata
// says it.
func (s *clusterService) HealthCheck(in *clusterapi.HealthCheckRequest, stream clusterapi.ClusterService_HealthCheckServer) error {
	n := s.node
	if err := n.configuredOnly("HealthCheck"); err != nil {
		return err // the maintenance service: no apid
	}

	ctx := stream.Context()

	err := s.healthCheck(in, stream)
	if err == nil {
		return nil
	}

	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}

	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("nodes")) > 0 && len(md.Get("proxyfrom")) == 0 {
		return stream.Send(&clusterapi.HealthCheckProgress{Metadata: errorMetadata(n.address, err)})
	}

	return err
}

// healthCheck is HealthCheck as machined answers it.
func (s *clusterService) healthCheck(in *clusterapi.HealthCheckRequest, stream clusterapi.ClusterService_HealthCheckServer) error {
	n := s.node

	if err := n.sim.healthCheckPossible(); err != nil {
		return err
	}

	controlPlanes, workers, err := n.healthCheckNodes(in.GetClusterInfo())
	if err != nil {
		return err
	}

	forceEndpoint := in.GetClusterInfo().GetForceEndpoint()
	if err := loopbackEndpoint(forceEndpoint); err != nil {
		return status.Errorf(codes.InvalidArgument, "cluster_info.force_endpoint: %s", err)
	}

	// talosctl reads the Kubernetes API at the cluster endpoint of the kubeconfig
	// the node gives it: it must never dial an address outside loopback.
	if forceEndpoint == "" {
		if err := loopbackEndpoint(n.clusterEndpoint()); err != nil {
			return status.Errorf(codes.FailedPrecondition, "the cluster endpoint: %s (deploy with a loopback cluster VIP)", err)
		}
	}

	ctx := stream.Context()
	send := func(message string) error {
		return stream.Send(&clusterapi.HealthCheckProgress{Metadata: n.replyMetadata(ctx), Message: message})
	}

	if err := send(fmt.Sprintf("discovered nodes: %q", append(slices.Clone(controlPlanes), workers...))); err != nil {
		return err
	}

	return n.runHealthCheck(ctx, healthCheckRun{
		controlPlanes: controlPlanes,
		workers:       workers,
		forceEndpoint: forceEndpoint,
		waitTimeout:   in.GetWaitTimeout().AsDuration(),
	}, send)
}

// healthCheckPossible: the simulator was given what HealthCheck needs.
func (s *Simulator) healthCheckPossible() error {
	var missing []string

	if s.settings.Talosctl == "" {
		missing = append(missing, "-talosctl (the real talosctl that runs Talos' checks)")
	}

	if s.settings.KubeAPIServer == "" {
		missing = append(missing, "-kube-apiserver (the real kube-apiserver that serves the cluster's Kubernetes API, which the checks read)")
	}

	if len(missing) > 0 {
		return status.Errorf(codes.FailedPrecondition, "the simulator cannot run Talos' cluster health checks: talos-sim serve was started without %s",
			strings.Join(missing, " and without "))
	}

	return nil
}

// healthCheckNodes are the nodes to check: the request's, all of them
// loopback addresses, else the cluster's configured nodes as the simulator
// knows them (machined discovers them).
func (n *Node) healthCheckNodes(info *clusterapi.ClusterInfo) (controlPlanes, workers []string, err error) {
	controlPlanes, workers = info.GetControlPlaneNodes(), info.GetWorkerNodes()

	for _, address := range append(slices.Clone(controlPlanes), workers...) {
		if ip := net.ParseIP(address); ip == nil || !ip.IsLoopback() {
			return nil, nil, status.Errorf(codes.InvalidArgument, "cluster_info: %q is not a loopback address: the simulator checks nodes on 127.0.0.0/8 only", address)
		}
	}

	if len(controlPlanes) > 0 || len(workers) > 0 {
		return controlPlanes, workers, nil
	}

	n.mu.Lock()
	cluster := clusterID(n)
	n.mu.Unlock()

	for _, node := range n.sim.allNodes() {
		node.mu.Lock()

		if node.config != nil && clusterID(node) == cluster {
			if node.config.Machine().Type().IsControlPlane() {
				controlPlanes = append(controlPlanes, node.address)
			} else {
				workers = append(workers, node.address)
			}
		}
		node.mu.Unlock()
	}

	return controlPlanes, workers, nil
}

// clusterEndpoint is the Kubernetes endpoint of the node's configuration, or "" without one.
func (n *Node) clusterEndpoint() string {
	n.mu.Lock()
	defer n.mu.Unlock()

	if n.config == nil || n.config.Cluster() == nil || n.config.Cluster().Endpoint() == nil {
		return ""
	}

	return n.config.Cluster().Endpoint().String()
}

// loopbackEndpoint accepts "" or an endpoint (https://host:port, host:port,
// host) on a loopback address.
func loopbackEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}

	host := strings.TrimPrefix(endpoint, "https://")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}

	if ip := net.ParseIP(strings.Trim(host, "[]")); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not on a loopback address: the simulator's Kubernetes APIs are on 127.0.0.0/8 only", endpoint)
	}

	return nil
}

// healthCheckRun is what one HealthCheck runs talosctl health with.
type healthCheckRun struct {
	controlPlanes, workers []string
	forceEndpoint          string
	waitTimeout            time.Duration
}

// talosctlArgs is talosctl's command line for the run, with a talosconfig.
func (r healthCheckRun) talosctlArgs(talosconfig string) []string {
	args := []string{
		"--talosconfig", talosconfig,
		"health", "--server=false",
		"--control-plane-nodes=" + strings.Join(r.controlPlanes, ","),
		"--worker-nodes=" + strings.Join(r.workers, ","),
		"--wait-timeout=" + r.waitTimeout.String(),
	}

	if r.forceEndpoint != "" {
		args = append(args, "--k8s-endpoint="+r.forceEndpoint)
	}

	return args
}

// runHealthCheck runs `talosctl health --server=false` through this node,
// sending each progress report; the error is the one talosctl ended with.
func (n *Node) runHealthCheck(ctx context.Context, run healthCheckRun, send func(string) error) error {
	boot, err := n.currentBoot()
	if err != nil {
		return err
	}

	// The node going down ends the checks it runs.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	stop := context.AfterFunc(boot.ctx, cancel)
	defer stop()

	dir, err := os.MkdirTemp("", "talos-sim-health-")
	if err != nil {
		return status.Errorf(codes.Internal, "health check: %s", err)
	}
	defer os.RemoveAll(dir) //nolint:errcheck

	talosconfig, err := n.healthTalosconfig(dir, run.waitTimeout)
	if err != nil {
		return status.Errorf(codes.Internal, "health check: %s", err)
	}

	cmd := exec.CommandContext(ctx, n.sim.settings.Talosctl, run.talosctlArgs(talosconfig)...) //nolint:gosec // the simulator's own talosctl, loopback addresses only
	// Nothing from the simulator's environment (proxies, a TALOSCONFIG): it
	// talks to loopback addresses only, with this talosconfig.
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + dir}
	cmd.Dir = dir
	cmd.SysProcAttr = childProcessAttributes()
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = healthCheckStopGrace

	output, writer := io.Pipe()
	cmd.Stdout, cmd.Stderr = writer, writer

	if err := cmd.Start(); err != nil {
		return status.Errorf(codes.Internal, "health check: starting talosctl: %s", err)
	}

	reports := make(chan healthOutput, 1)

	go func() { reports <- forwardHealthReports(output, send) }()

	waitErr := cmd.Wait()
	writer.Close() //nolint:errcheck

	result := <-reports

	switch {
	case ctx.Err() != nil:
		return status.FromContextError(ctx.Err()).Err()
	case result.sendErr != nil:
		return result.sendErr
	case waitErr == nil:
		return nil
	}

	message := strings.TrimSpace(result.trailer)
	if message == "" {
		message = fmt.Sprintf("talosctl health: %s", waitErr)
	}

	// As gRPC reports machined's error: a context's as its code, anything else Unknown.
	switch message {
	case context.DeadlineExceeded.Error():
		return status.Error(codes.DeadlineExceeded, message)
	case context.Canceled.Error():
		return status.Error(codes.Canceled, message)
	default:
		return status.Error(codes.Unknown, message)
	}
}

// healthTalosconfig writes a talosconfig for talosctl: endpoint and node
// this node (its API's address), a client certificate for os:admin signed by
// the cluster's OS CA, valid at real time and at the nodes' clock.
func (n *Node) healthTalosconfig(dir string, waitTimeout time.Duration) (string, error) {
	n.mu.Lock()
	cfg, listening := n.config, n.listening
	n.mu.Unlock()

	if cfg == nil || listening == nil {
		return "", errors.New("the node is not configured")
	}

	issuing := cfg.Machine().Security().IssuingCA()
	if issuing == nil || len(issuing.Crt) == 0 {
		return "", errors.New("the configuration has no OS CA (machine.ca)")
	}

	if len(issuing.Key) == 0 {
		// A worker: the CA's key is on the control planes (trustd).
		if issuing = n.sim.signingCAFor(issuing.Crt); issuing == nil {
			return "", errors.New("no control plane of the cluster has the OS CA's key")
		}
	}

	encode := base64.StdEncoding.EncodeToString
	// Valid at real time (talosctl's) and at the nodes' clock (the nodes check it at that).
	earliest, latest := time.Now(), n.sim.now()
	if latest.Before(earliest) {
		earliest, latest = latest, earliest
	}

	notBefore, notAfter := earliest.Add(-time.Hour), latest.Add(waitTimeout+time.Hour)

	signed, err := clientcert.Sign(encode(issuing.Crt), encode(issuing.Key), []string{string(role.Admin)}, notBefore, notAfter)
	if err != nil {
		return "", err
	}

	type context struct {
		Endpoints []string `yaml:"endpoints"`
		Nodes     []string `yaml:"nodes"`
		CA        string   `yaml:"ca"`
		Crt       string   `yaml:"crt"`
		Key       string   `yaml:"key"`
	}

	content, err := yaml.Marshal(struct {
		Context  string             `yaml:"context"`
		Contexts map[string]context `yaml:"contexts"`
	}{
		Context: "talos-sim",
		Contexts: map[string]context{"talos-sim": {
			Endpoints: []string{listening.String()},
			Nodes:     []string{n.address},
			CA:        encode(cfg.Machine().Security().IssuingCA().Crt),
			Crt:       signed.Certificate,
			Key:       signed.Key,
		}},
	})
	if err != nil {
		return "", err
	}

	path := filepath.Join(dir, "talosconfig")

	return path, os.WriteFile(path, content, 0o600)
}

// healthOutput is what talosctl's output said besides its progress reports.
type healthOutput struct {
	// trailer is what talosctl printed after its last progress report: its
	// error, when it failed.
	trailer string
	sendErr error
}

// forwardHealthReports reads talosctl health's output (its reporter prints a
// report per line when not on a terminal; a report of several lines goes on
// in lines that start with white space) and sends each progress report
// ("waiting for …") as one message. What follows the last report is kept
// back: talosctl's error, if it fails; anything else is sent as well.
func forwardHealthReports(output io.Reader, send func(string) error) healthOutput {
	var (
		result  healthOutput
		pending []string // the report being read
		held    []string // reports that are no progress report, sent once another follows
	)

	flush := func() {
		if len(pending) == 0 {
			return
		}

		report := strings.TrimRight(strings.Join(pending, "\n"), "\n")
		pending = nil

		if !strings.HasPrefix(report, "waiting for ") {
			held = append(held, report)

			return
		}

		for _, message := range append(held, report) {
			if result.sendErr == nil {
				result.sendErr = send(message)
			}
		}

		held = nil
	}

	lines := bufio.NewScanner(output)
	lines.Buffer(make([]byte, 64*1024), 4*1024*1024)

	for lines.Scan() {
		line := lines.Text()

		if len(pending) > 0 && (line == "" || line[0] == ' ' || line[0] == '\t') {
			pending = append(pending, line)

			continue
		}

		flush()

		pending = []string{line}
	}

	io.Copy(io.Discard, output) //nolint:errcheck // a line too long: the rest is dropped
	flush()

	result.trailer = strings.Join(held, "\n")

	return result
}
