package simulator

import (
	"bytes"
	"context"
	"crypto/tls"
	stdx509 "crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/clientcert"
	"github.com/siderolabs/crypto/x509"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/constants"
)

// A cluster's Kubernetes API, as its control planes serve it: the real
// kube-apiserver (Settings.KubeAPIServer), one process per cluster, started
// once the cluster is bootstrapped and an etcd member of it serves. It listens
// on the cluster endpoint of the applied configuration
// (cluster.controlPlane.endpoint, the VIP: a loopback address, else it is
// refused), stores in the control planes' etcd, serves a certificate the
// cluster's Kubernetes CA (cluster.ca) signs, and accepts the client
// certificates that CA signs (the admin kubeconfig of the Kubeconfig API);
// its service account tokens are signed with cluster.serviceAccount.key. Its
// files (certificates, keys, its log) are in a temporary folder, removed when
// it stops: when the simulator stops, or when no configured control plane of
// the cluster is left (re-imaged away). A kube-apiserver that exits is
// started again.
//
// What the nodes' kubelets would report is registered through that API by
// the simulator (kubeobjects.go), with the admin credentials, and kept in
// step with the simulated nodes.

const (
	kubeReadyTimeout   = 2 * time.Minute
	kubeRetryInterval  = 2 * time.Second
	kubeStopGrace      = 5 * time.Second
	kubeReconcileEvery = 500 * time.Millisecond
	kubeCallTimeout    = 10 * time.Second
)

// errKubeRefused: the cluster's Kubernetes API is not to be started (a
// configuration the simulator refuses to serve); it is not tried again
// until an etcd member of the cluster serves anew.
var errKubeRefused = errors.New("refused")

// errKubeRestart: the kube-apiserver stopped to be started again at once, on
// a recovered etcd.
var errKubeRestart = errors.New("restart on the recovered etcd")

// kubeCluster is one cluster's Kubernetes API while the simulator keeps it.
type kubeCluster struct {
	sim *Simulator
	id  string

	ctx    context.Context //nolint:containedctx // the cluster's API lives as long as it
	cancel context.CancelFunc
	// gone: the cluster left (re-imaged away): its kube-apiserver is killed,
	// not stopped gracefully (its etcd is gone or going).
	gone atomic.Bool
	done chan struct{}
	wake chan struct{}
	// restart asks for the kube-apiserver to be started again (etcd recovered);
	// recoveries counts the asks, so that a kube-apiserver started after one
	// (reading the recovered data already) is not started again for it.
	restart    chan struct{}
	recoveries atomic.Int64

	mu sync.Mutex
	// ready: its kube-apiserver runs and answered /readyz; readyAt is when
	// one first did (zero until then).
	ready   bool
	readyAt time.Time
	// endpoint is the URL it serves on, once started.
	endpoint string
	// lastError is what the last reconcile could not register, "" if nothing.
	lastError string
	// dir is the kube-apiserver's temporary folder while it runs.
	dir string

	// What the simulator registered (kubeobjects.go), used by the reconcile
	// loop only.
	state *kubeState
}

// KubeStatus is what the simulator says of a cluster's Kubernetes API.
type KubeStatus struct {
	Cluster  string `json:"cluster"`
	Endpoint string `json:"endpoint"`
	// Ready: its kube-apiserver runs and answered /readyz; ReadyAt is when one first did.
	Ready   bool      `json:"ready"`
	ReadyAt time.Time `json:"readyAt"`
	// LastError is what the simulator could not register in its last round, "" if nothing.
	LastError string `json:"lastError,omitempty"`
}

// kubeAPIFor returns the Kubernetes API of a cluster, nil if none runs.
func (s *Simulator) kubeAPIFor(cluster string) *kubeCluster {
	s.kubeMu.Lock()
	defer s.kubeMu.Unlock()

	return s.kubes[cluster]
}

// status is what the cluster's Kubernetes API is now.
func (k *kubeCluster) status() KubeStatus {
	k.mu.Lock()
	defer k.mu.Unlock()

	return KubeStatus{Cluster: k.id, Endpoint: k.endpoint, Ready: k.ready, ReadyAt: k.readyAt, LastError: k.lastError}
}

// etcdServes is told that an etcd member of a cluster became healthy: the
// cluster's Kubernetes API starts if it is to run and does not yet.
func (s *Simulator) etcdServes(cluster string) {
	if s.settings.KubeAPIServer == "" || cluster == "" {
		return
	}

	s.kubeMu.Lock()
	defer s.kubeMu.Unlock()

	if s.kubeClosed || s.kubes[cluster] != nil {
		return
	}

	ctx, cancel := context.WithCancel(context.Background())
	k := &kubeCluster{
		sim: s, id: cluster, ctx: ctx, cancel: cancel,
		done: make(chan struct{}), wake: make(chan struct{}, 1), restart: make(chan struct{}, 1),
		state: newKubeState(),
	}

	if s.kubes == nil {
		s.kubes = map[string]*kubeCluster{}
	}

	s.kubes[cluster] = k

	go k.run()
}

// pokeKube wakes every cluster's reconcile loop: a node changed. Safe under a
// node's lock (it takes none).
func (s *Simulator) pokeKube() {
	s.kubeMu.Lock()
	defer s.kubeMu.Unlock()

	for _, k := range s.kubes {
		select {
		case k.wake <- struct{}{}:
		default:
		}
	}
}

// kubeRestart has a cluster's kube-apiserver started again, if it runs: its
// etcd was recovered from a snapshot, and what it cached (watches,
// revisions) is of the data before. Safe under a node's lock.
func (s *Simulator) kubeRestart(cluster string) {
	s.kubeMu.Lock()
	defer s.kubeMu.Unlock()

	if k := s.kubes[cluster]; k != nil {
		k.recoveries.Add(1)

		select {
		case k.restart <- struct{}{}:
		default:
		}
	}
}

// kubeClusterLeft stops a cluster's Kubernetes API once no configured control
// plane of it is left (re-imaged away). Never called with a node's lock held.
func (s *Simulator) kubeClusterLeft(cluster string) {
	if cluster == "" || s.clusterControlPlanes(cluster) != nil {
		return
	}

	s.kubeMu.Lock()
	k := s.kubes[cluster]

	if k != nil {
		delete(s.kubes, cluster)
	}
	s.kubeMu.Unlock()

	if k != nil {
		k.gone.Store(true)
		k.cancel()
		<-k.done
	}
}

// stopKubes stops every cluster's Kubernetes API, for good (the simulator stops).
func (s *Simulator) stopKubes() {
	s.kubeMu.Lock()
	s.kubeClosed = true
	kubes := s.kubes
	s.kubes = nil
	s.kubeMu.Unlock()

	for _, k := range kubes {
		k.cancel()
	}

	for _, k := range kubes {
		<-k.done
	}
}

// forget removes the cluster's API from the simulator's, if it is still there.
func (s *Simulator) forgetKube(k *kubeCluster) {
	s.kubeMu.Lock()
	defer s.kubeMu.Unlock()

	if s.kubes[k.id] == k {
		delete(s.kubes, k.id)
	}
}

// clusterControlPlanes are the configured control planes of a cluster, in the
// simulator's order, with their configurations; nil if there is none.
func (s *Simulator) clusterControlPlanes(cluster string) []*Node {
	var controlPlanes []*Node

	for _, node := range s.allNodes() {
		node.mu.Lock()
		member := node.config != nil && clusterID(node) == cluster && node.config.Machine().Type().IsControlPlane()
		node.mu.Unlock()

		if member {
			controlPlanes = append(controlPlanes, node)
		}
	}

	return controlPlanes
}

// run keeps the cluster's kube-apiserver running, and what the nodes report
// registered, until the cluster's API is stopped or its cluster left.
func (k *kubeCluster) run() {
	defer close(k.done)
	defer k.sim.forgetKube(k)

	for k.ctx.Err() == nil {
		if k.sim.clusterControlPlanes(k.id) == nil {
			return
		}

		err := k.serve()

		switch {
		case k.ctx.Err() != nil:
			return
		case errors.Is(err, errKubeRestart):
			continue
		case errors.Is(err, errKubeRefused):
			k.sim.logf("cluster %s: not serving its Kubernetes API: %v\n", k.id, err)

			return
		case err != nil:
			k.sim.logf("cluster %s: kube-apiserver: %v\n", k.id, err)
		}

		select {
		case <-k.ctx.Done():
		case <-time.After(kubeRetryInterval):
		}
	}
}

// kubePlan is how the cluster's kube-apiserver is to run, from a control
// plane's configuration.
type kubePlan struct {
	host, port    string
	endpoint      string // https://host:port
	ca            *x509.PEMEncodedCertificateAndKey
	clientCAs     []byte
	serviceKey    []byte
	etcd          []string
	controlPlanes []string
	serviceCIDR   string
	dnsDomain     string
	certSANs      []string
}

// plan reads how to run the cluster's kube-apiserver from its control planes.
func (k *kubeCluster) plan() (*kubePlan, error) {
	controlPlanes := k.sim.clusterControlPlanes(k.id)
	if controlPlanes == nil {
		return nil, fmt.Errorf("%w: no configured control plane", errKubeRefused)
	}

	var cfg config.Provider

	plan := &kubePlan{}

	for _, node := range controlPlanes {
		node.mu.Lock()
		if cfg == nil && node.config != nil {
			cfg = node.config
		}
		node.mu.Unlock()

		plan.controlPlanes = append(plan.controlPlanes, node.address)
		plan.etcd = append(plan.etcd, node.etcdClientURL())
	}

	if cfg == nil {
		return nil, fmt.Errorf("%w: no configured control plane", errKubeRefused)
	}

	endpoint := cfg.Cluster().Endpoint()
	if endpoint == nil {
		return nil, fmt.Errorf("%w: the configuration has no cluster.controlPlane.endpoint", errKubeRefused)
	}

	plan.host, plan.port = endpoint.Hostname(), endpoint.Port()
	if plan.port == "" {
		plan.port = strconv.Itoa(constants.DefaultControlPlanePort)
	}

	if ip := net.ParseIP(plan.host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: cluster.controlPlane.endpoint %s is not on a loopback address: the simulator serves on 127.0.0.0/8 only",
			errKubeRefused, endpoint)
	}

	plan.endpoint = (&url.URL{Scheme: "https", Host: net.JoinHostPort(plan.host, plan.port)}).String()

	plan.ca = cfg.Cluster().IssuingCA()
	if plan.ca == nil || len(plan.ca.Crt) == 0 || len(plan.ca.Key) == 0 {
		return nil, fmt.Errorf("%w: the configuration has no Kubernetes CA with its key (cluster.ca)", errKubeRefused)
	}

	for _, accepted := range cfg.Cluster().AcceptedCAs() {
		plan.clientCAs = append(plan.clientCAs, accepted.Crt...)
	}

	plan.clientCAs = append(plan.clientCAs, plan.ca.Crt...)

	if key := cfg.Cluster().ServiceAccount(); key != nil {
		plan.serviceKey = key.Key
	}

	if len(plan.serviceKey) == 0 {
		return nil, fmt.Errorf("%w: the configuration has no service account key (cluster.serviceAccount.key)", errKubeRefused)
	}

	plan.serviceCIDR = "10.96.0.0/12"
	if cidrs := cfg.Cluster().Network().ServiceCIDRs(); len(cidrs) > 0 {
		plan.serviceCIDR = cidrs[0]
	}

	plan.dnsDomain = cfg.Cluster().Network().DNSDomain()
	plan.certSANs = cfg.Cluster().CertSANs()

	return plan, nil
}

// serve runs the cluster's kube-apiserver until the API is stopped, the
// cluster left, or the process exits (an error then).
func (k *kubeCluster) serve() error {
	// What this kube-apiserver reads is the data after these recoveries.
	recoveries := k.recoveries.Load()

	plan, err := k.plan()
	if err != nil {
		return err
	}

	dir, err := os.MkdirTemp("", "talos-sim-kube-apiserver-")
	if err != nil {
		return err
	}

	defer func() {
		if err := os.RemoveAll(dir); err != nil {
			k.sim.logf("cluster %s: removing %s: %v\n", k.id, dir, err)
		}
	}()

	args, err := writeKubeFiles(dir, plan)
	if err != nil {
		return err
	}

	client, err := newKubeClient(plan)
	if err != nil {
		return err
	}
	defer client.close()

	logPath := filepath.Join(dir, "kube-apiserver.log")

	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close() //nolint:errcheck

	cmd := exec.Command(k.sim.settings.KubeAPIServer, args...) //nolint:gosec // the simulator's own kube-apiserver
	cmd.Stdout, cmd.Stderr, cmd.Dir = logFile, logFile, dir
	// Nothing from the simulator's environment (proxies above all): it talks
	// to loopback addresses only.
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + dir}
	cmd.SysProcAttr = childProcessAttributes()

	if err := cmd.Start(); err != nil {
		return err
	}

	exited := make(chan error, 1)

	go func() { exited <- cmd.Wait() }()

	defer func() {
		grace := kubeStopGrace
		if k.gone.Load() {
			grace = 0
		}

		stopProcess(cmd, exited, grace)
	}()

	k.mu.Lock()
	k.endpoint, k.dir = plan.endpoint, dir
	k.mu.Unlock()

	if err := k.waitReady(client, exited, logPath); err != nil || k.ctx.Err() != nil {
		return err
	}

	k.mu.Lock()
	k.ready = true
	if k.readyAt.IsZero() {
		k.readyAt = time.Now()
	}
	k.mu.Unlock()

	defer func() {
		k.mu.Lock()
		k.ready = false
		k.mu.Unlock()
	}()

	// What an earlier kube-apiserver of the cluster registered is in etcd
	// still: it is looked at afresh (kept if it is the same).
	k.state.forgetApplied()

	ticker := time.NewTicker(kubeReconcileEvery)
	defer ticker.Stop()

	for {
		if k.sim.clusterControlPlanes(k.id) == nil {
			k.gone.Store(true)
			k.cancel()

			return nil
		}

		k.reconcile(client)

		select {
		case <-k.ctx.Done():
			return nil
		case <-k.restart:
			if k.recoveries.Load() != recoveries {
				return errKubeRestart // started again by run, at once
			}
		case err := <-exited:
			exited <- err // for stopProcess

			return fmt.Errorf("exited (%v): %s", err, logTail(logPath))
		case <-ticker.C:
		case <-k.wake:
		}
	}
}

// waitReady waits until the kube-apiserver answers /readyz.
func (k *kubeCluster) waitReady(client *kubeClient, exited chan error, logPath string) error {
	deadline := time.Now().Add(kubeReadyTimeout)

	for {
		ctx, cancel := context.WithTimeout(k.ctx, 2*time.Second)
		code, _, err := client.do(ctx, "GET", "/readyz", "", nil)

		cancel()

		if err == nil && code == 200 {
			return nil
		}

		select {
		case <-k.ctx.Done():
			return nil
		case err := <-exited:
			exited <- err

			return fmt.Errorf("exited before it was ready (%v): %s", err, logTail(logPath))
		case <-time.After(250 * time.Millisecond):
		}

		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %s", kubeReadyTimeout, logTail(logPath))
		}
	}
}

// writeKubeFiles writes the kube-apiserver's certificates and keys into dir,
// and returns its command line.
func writeKubeFiles(dir string, plan *kubePlan) ([]string, error) {
	ca, err := x509.NewCertificateAuthorityFromCertificateAndKey(plan.ca)
	if err != nil {
		return nil, fmt.Errorf("cluster.ca: %w", err)
	}

	ips := []net.IP{net.ParseIP(plan.host), net.ParseIP("127.0.0.1"), net.IPv6loopback}
	dnsNames := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"}

	if plan.dnsDomain != "" {
		dnsNames = append(dnsNames, "kubernetes.default.svc."+plan.dnsDomain)
	}

	for _, address := range plan.controlPlanes {
		ips = append(ips, net.ParseIP(address))
	}

	// The configuration's extra names; of its addresses, the loopback ones only.
	for _, san := range plan.certSANs {
		if ip := net.ParseIP(san); ip == nil {
			dnsNames = append(dnsNames, san)
		} else if ip.IsLoopback() {
			ips = append(ips, ip)
		}
	}

	now := time.Now()

	serving, err := x509.NewKeyPair(ca,
		x509.CommonName("kube-apiserver"),
		x509.Organization("kube-master"),
		x509.IPAddresses(ips),
		x509.DNSNames(dnsNames),
		x509.NotBefore(now.Add(-time.Hour)),
		x509.NotAfter(now.Add(10*365*24*time.Hour)),
		x509.ExtKeyUsage([]stdx509.ExtKeyUsage{stdx509.ExtKeyUsageServerAuth}),
	)
	if err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}

	files := map[string][]byte{
		"apiserver.crt":       serving.CrtPEM,
		"apiserver.key":       serving.KeyPEM,
		"client-ca.crt":       plan.clientCAs,
		"service-account.key": plan.serviceKey,
	}

	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			return nil, err
		}
	}

	return kubeAPIServerArgs(dir, plan), nil
}

// kubeAPIServerArgs is the kube-apiserver's command line.
func kubeAPIServerArgs(dir string, plan *kubePlan) []string {
	file := func(name string) string { return filepath.Join(dir, name) }

	return []string{
		"--advertise-address=" + plan.host,
		"--bind-address=" + plan.host,
		"--secure-port=" + plan.port,
		"--etcd-servers=" + strings.Join(plan.etcd, ","),
		"--tls-cert-file=" + file("apiserver.crt"),
		"--tls-private-key-file=" + file("apiserver.key"),
		"--client-ca-file=" + file("client-ca.crt"),
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--service-account-issuer=" + plan.endpoint,
		"--service-account-key-file=" + file("service-account.key"),
		"--service-account-signing-key-file=" + file("service-account.key"),
		"--service-cluster-ip-range=" + plan.serviceCIDR,
		"--allow-privileged=true",
		"--cert-dir=" + file("certs"),
		"--profiling=false",
	}
}

// logTail is the end of a log file, for an error.
func logTail(path string) string {
	content, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}

	lines := strings.Split(strings.TrimSpace(string(content)), "\n")

	return strings.Join(lines[max(0, len(lines)-10):], "\n")
}

// stopProcess stops a child: SIGTERM, then SIGKILL after grace (at once if
// none); exited gives its end (cmd.Wait's).
func stopProcess(cmd *exec.Cmd, exited chan error, grace time.Duration) {
	if grace > 0 {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // it may have exited already

		select {
		case <-exited:
			return
		case <-time.After(grace):
		}
	}

	cmd.Process.Kill() //nolint:errcheck
	<-exited
}

// kubeClient is a client of a cluster's Kubernetes API with the admin
// credentials (O=system:masters), plain HTTPS and JSON.
type kubeClient struct {
	base string
	http *http.Client
}

// newKubeClient is a client of the plan's API, with a client certificate
// the cluster's CA signs (at real time: the kube-apiserver checks it so).
func newKubeClient(plan *kubePlan) (*kubeClient, error) {
	ca, err := x509.NewCertificateAuthorityFromCertificateAndKey(plan.ca)
	if err != nil {
		return nil, fmt.Errorf("cluster.ca: %w", err)
	}

	now := time.Now()

	pair, err := clientcert.NewKeyPair(ca, now.Add(-time.Hour), now.Add(10*365*24*time.Hour),
		x509.CommonName("talos-sim"), x509.Organization(constants.KubernetesAdminCertOrganization))
	if err != nil {
		return nil, err
	}

	roots := stdx509.NewCertPool()
	if !roots.AppendCertsFromPEM(plan.ca.Crt) {
		return nil, errors.New("cluster.ca: no certificate")
	}

	transport := &http.Transport{
		// Never a proxy: loopback only.
		Proxy: nil,
		TLSClientConfig: &tls.Config{
			Certificates: []tls.Certificate{*pair.Certificate},
			RootCAs:      roots,
			MinVersion:   tls.VersionTLS12,
		},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     time.Minute,
	}

	return &kubeClient{base: plan.endpoint, http: &http.Client{Transport: transport, Timeout: kubeCallTimeout}}, nil
}

func (c *kubeClient) close() { c.http.CloseIdleConnections() }

// do sends one request: body is JSON (marshalled, unless []byte), of
// contentType (application/json if ""). It returns the status code and body.
func (c *kubeClient) do(ctx context.Context, method, path, contentType string, body any) (int, []byte, error) {
	var reader io.Reader

	if body != nil {
		data, ok := body.([]byte)
		if !ok {
			var err error

			if data, err = json.Marshal(body); err != nil {
				return 0, nil, err
			}
		}

		reader = bytes.NewReader(data)
	}

	request, err := http.NewRequestWithContext(ctx, method, c.base+path, reader)
	if err != nil {
		return 0, nil, err
	}

	if contentType == "" {
		contentType = "application/json"
	}

	request.Header.Set("Accept", "application/json")

	if body != nil {
		request.Header.Set("Content-Type", contentType)
	}

	response, err := c.http.Do(request)
	if err != nil {
		return 0, nil, err
	}
	defer response.Body.Close() //nolint:errcheck

	data, err := io.ReadAll(io.LimitReader(response.Body, 64<<20))

	return response.StatusCode, data, err
}
