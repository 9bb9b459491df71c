package simulator

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/go/internal/metal"
	"github.com/hashicorp/go-multierror"
	"github.com/siderolabs/talos/pkg/machinery/api/common"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/api/storage"
	"github.com/siderolabs/talos/pkg/machinery/config"
	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
	"github.com/siderolabs/talos/pkg/machinery/config/validation"
	"github.com/siderolabs/talos/pkg/machinery/role"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// requiredRoles: what apid demands of the client certificate per method, in configured mode.
var requiredRoles = map[string]role.Set{
	"ApplyConfiguration": role.MakeSet(role.Admin),
	"Bootstrap":          role.MakeSet(role.Admin),
	"Kubeconfig":         role.MakeSet(role.Admin),
	"Upgrade":            role.MakeSet(role.Admin, role.Operator),
	"Reboot":             role.MakeSet(role.Admin, role.Operator),
	"Version":            role.MakeSet(role.Admin, role.Operator, role.Reader),
	"ServiceList":        role.MakeSet(role.Admin, role.Operator, role.Reader),
	"Read":               role.MakeSet(role.Admin),
	"Events":             role.MakeSet(role.Admin, role.Operator, role.Reader),
	"Get":                role.MakeSet(role.Admin, role.Operator, role.Reader),
	"List":               role.MakeSet(role.Admin, role.Operator, role.Reader),
	"Watch":              role.MakeSet(role.Admin, role.Operator, role.Reader),
	"Disks":              role.MakeSet(role.Admin, role.Operator, role.Reader),
	"Memory":             role.MakeSet(role.Admin, role.Operator, role.Reader),
	"Mounts":             role.MakeSet(role.Admin, role.Operator, role.Reader),
	"EtcdMemberList":     role.MakeSet(role.Admin, role.Operator, role.Reader),
	"EtcdStatus":         role.MakeSet(role.Admin, role.Operator),
	"EtcdSnapshot":       role.MakeSet(role.Admin, role.Operator, role.EtcdBackup),
	"EtcdRecover":        role.MakeSet(role.Admin),
	"Reset":              role.MakeSet(role.Admin),
	"HealthCheck":        role.MakeSet(role.Admin, role.Operator, role.Reader),
}

type machineService struct {
	machine.UnimplementedMachineServiceServer

	node *Node
}

type storageService struct {
	storage.UnimplementedStorageServiceServer

	node *Node
}

func (n *Node) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	method, started, err := n.enter(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}

	reply, err := n.answerUnary(ctx, req, info, handler)
	n.stopAt(ctx, method, HoldAfter)

	if err = n.leave(ctx, method, started, err); err != nil {
		reply = nil
	}

	return reply, err
}

func (n *Node) streamInterceptor(srv any, stream grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	method, started, err := n.enter(stream.Context(), info.FullMethod)
	if err != nil {
		return err
	}

	err = n.answerStream(srv, &heldStream{ServerStream: stream, node: n, method: method}, info, handler)

	return n.leave(stream.Context(), method, started, err)
}

// enter admits a call (faults, roles) and stops it at a hold "before": an
// error when the call is not to be carried out, recorded already.
func (n *Node) enter(ctx context.Context, fullMethod string) (method string, started time.Time, err error) {
	method, started = path.Base(fullMethod), time.Now()

	if err := n.admit(ctx, method, started); err != nil {
		return method, started, err
	}

	if n.stopAt(ctx, method, HoldBefore) {
		err := status.FromContextError(ctx.Err()).Err()
		n.record(ctx, method, n.currentMode(), status.Code(err).String(), started)

		return method, started, err
	}

	return method, started, nil
}

// leave loses the reply of a carried-out call when a fault says so, and
// records the call with the error its caller gets. A call the node refused
// (still in maintenance mode, say) was not carried out: the fault waits for
// the next one.
func (n *Node) leave(ctx context.Context, method string, started time.Time, err error) error {
	if err == nil && n.takeLostReply(method) {
		err = n.lostReply(method)
	}

	n.record(ctx, method, n.currentMode(), status.Code(err).String(), started)

	return err
}

// lostReply is what a caller gets for a reply lost to a fault: Unavailable, as if the connection dropped.
func (n *Node) lostReply(method string) error {
	return status.Errorf(codes.Unavailable, "simulated fault: node %s carried out %s, and its reply was lost", n.address, method)
}

// heldStream stops a streamed reply before its first message when a hold
// "after" is armed: the node has done the work, the caller has nothing yet.
type heldStream struct {
	grpc.ServerStream

	node   *Node
	method string
	sent   bool
}

func (s *heldStream) SendMsg(m any) error {
	if !s.sent {
		s.sent = true
		s.node.stopAt(s.Context(), s.method, HoldAfter)

		if s.node.takeLostReply(s.method) {
			return s.node.lostReply(s.method)
		}
	}

	return s.ServerStream.SendMsg(m)
}

// admit applies injected faults and, in configured mode, apid's role check.
func (n *Node) admit(ctx context.Context, method string, started time.Time) error {
	n.mu.Lock()
	faults, mode := n.faults, n.mode
	n.mu.Unlock()

	fail := func(err error) error {
		n.record(ctx, method, mode, status.Code(err).String(), started)

		return err
	}

	if faults.Hang {
		<-ctx.Done()

		return fail(status.FromContextError(ctx.Err()).Err())
	}

	if faults.Delay > 0 {
		select {
		case <-time.After(faults.Delay):
		case <-ctx.Done():
			return fail(status.FromContextError(ctx.Err()).Err())
		}
	}

	if faults.RejectCode != "" && (faults.RejectMethod == "" || faults.RejectMethod == method) {
		return fail(status.Errorf(codeNamed(faults.RejectCode), "simulated fault: node %s rejects %s", n.address, method))
	}

	if mode == ModeConfigured {
		if required, ok := requiredRoles[method]; ok && !peerRoles(ctx).IncludesAny(required) {
			return fail(status.Error(codes.PermissionDenied, "not authorized"))
		}
	}

	return nil
}

// codeNamed is the gRPC code spelled as its String() (e.g. "InvalidArgument"), else Unavailable.
func codeNamed(name string) codes.Code {
	for code := codes.OK; code <= codes.Unauthenticated; code++ {
		if code.String() == name {
			return code
		}
	}

	return codes.Unavailable
}

func (n *Node) currentMode() string {
	n.mu.Lock()
	defer n.mu.Unlock()

	return n.mode
}

// currentBoot is this boot's session; between two boots, the node is rebooting.
func (n *Node) currentBoot() (*bootSession, error) {
	n.mu.Lock()
	defer n.mu.Unlock()

	if n.session == nil {
		return nil, status.Error(codes.Unavailable, "the node is rebooting")
	}

	return n.session, nil
}

// configuredOnly answers as Talos does for a method the maintenance service lacks.
func (n *Node) configuredOnly(method string) error {
	if n.currentMode() != ModeConfigured {
		return status.Errorf(codes.Unimplemented, "method %s not implemented", method)
	}

	return nil
}

// ApplyConfiguration parses and validates the configuration as Talos does,
// stores it, answers, then reboots into configured mode (from maintenance).
func (s *machineService) ApplyConfiguration(_ context.Context, in *machine.ApplyConfigurationRequest) (*machine.ApplyConfigurationResponse, error) {
	n := s.node
	maintenance := n.currentMode() == ModeMaintenance

	switch in.Mode { //nolint:exhaustive
	case machine.ApplyConfigurationRequest_TRY, machine.ApplyConfigurationRequest_REBOOT, machine.ApplyConfigurationRequest_AUTO:
	case machine.ApplyConfigurationRequest_NO_REBOOT, machine.ApplyConfigurationRequest_STAGED:
		if maintenance {
			return nil, status.Errorf(codes.Unimplemented, "apply configuration --mode='%s' is not supported in maintenance mode",
				strings.ReplaceAll(strings.ToLower(in.Mode.String()), "_", "-"))
		}
	}

	cfg, err := configloader.NewFromBytes(in.GetData())
	if err != nil {
		return nil, fmt.Errorf("failed to parse config: %w", err)
	}

	warnings, err := n.validate(cfg)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "configuration validation failed: %s", err)
	}

	n.mu.Lock()
	previous := n.config
	n.config = cfg
	n.configBytes = append([]byte{}, in.GetData()...)
	n.applies++

	// Installing from maintenance mode boots the version of the installer image.
	if image := cfg.Machine().Install().Image(); maintenance && strings.Contains(image, "/installer:") {
		n.pendingVersion = image[strings.LastIndex(image, ":")+1:]
	}
	n.mu.Unlock()

	reply := &machine.ApplyConfigurationResponse{Messages: []*machine.ApplyConfiguration{{Warnings: warnings}}}

	switch {
	case maintenance, in.Mode == machine.ApplyConfigurationRequest_REBOOT:
		n.rebootAfterReply()
	case previous != nil && previous.Machine().Type() != cfg.Machine().Type():
		n.rebootAfterReply()
	default:
		reply.Messages[0].ModeDetails = "Applied configuration without a reboot"
	}

	return reply, nil
}

// validate is Talos' validation of a configuration for a metal node, with
// the install disk checked against the node's disks instead of this host's.
func (n *Node) validate(cfg config.Provider) ([]string, error) {
	warnings, err := cfg.Validate(metal.Mode{}, validation.WithLocal())

	var result *multierror.Error
	if err != nil {
		if merr, ok := err.(*multierror.Error); ok { //nolint:errorlint
			result = merr
		} else {
			result = multierror.Append(result, err)
		}
	}

	if disk, _ := cfg.Machine().Install().Disk(); disk != "" && !slices.Contains(n.sim.settings.Disks, disk) { //nolint:errcheck
		result = multierror.Append(result, fmt.Errorf("specified install disk does not exist: %q", disk))
	}

	return warnings, result.ErrorOrNil()
}

// Bootstrap starts etcd on a control plane as a new one-member cluster
// (etcd.go), once: a node whose etcd has data (it was bootstrapped, or
// joined a cluster) or whose bootstrap has not served yet answers
// AlreadyExists, as Talos does. With recover_etcd, the new cluster is the
// snapshot EtcdRecover uploaded, restored with etcd's own restore
// (recovery.go); unlike Talos, which restores in the etcd service after
// answering, the simulator restores first, so that a snapshot that fails
// its check is refused here and changes nothing. The node answers at once;
// etcd starts meanwhile.
func (s *machineService) Bootstrap(ctx context.Context, in *machine.BootstrapRequest) (*machine.BootstrapResponse, error) {
	n := s.node
	if err := n.configuredOnly("Bootstrap"); err != nil {
		return nil, err
	}

	n.mu.Lock()
	controlPlane := n.config.Machine().Type().IsControlPlane()
	busy := n.etcdBootstrap != nil || n.etcdHasData()
	n.mu.Unlock()

	switch {
	case !controlPlane:
		return nil, status.Error(codes.FailedPrecondition, "bootstrap can only be performed on a control plane node")
	case busy:
		return nil, status.Error(codes.AlreadyExists, "etcd data directory is not empty")
	}

	bootstrap := &etcdBootstrap{}

	if in.GetRecoverEtcd() {
		restored, err := n.restoreSnapshot(in.GetRecoverSkipHashCheck())
		if err != nil {
			return nil, err
		}

		bootstrap.restoredDir = restored
	}

	n.mu.Lock()
	defer n.mu.Unlock()

	if n.etcdBootstrap != nil || n.etcdHasData() {
		return nil, status.Error(codes.AlreadyExists, "etcd data directory is not empty")
	}

	n.etcdBootstrap = bootstrap

	if in.GetRecoverEtcd() {
		n.recoveries++
	} else {
		n.bootstraps++
	}

	n.pokeEtcd()

	return &machine.BootstrapResponse{Messages: []*machine.Bootstrap{{Metadata: n.replyMetadata(ctx)}}}, nil
}

// Kubeconfig streams the admin kubeconfig as a gzipped tar, as Talos does.
func (s *machineService) Kubeconfig(_ *emptypb.Empty, stream machine.MachineService_KubeconfigServer) error {
	n := s.node
	if err := n.configuredOnly("Kubeconfig"); err != nil {
		return err
	}

	n.mu.Lock()
	cfg := n.config
	n.mu.Unlock()

	if !cfg.Machine().Type().IsControlPlane() {
		return status.Error(codes.Unimplemented, "kubeconfig is only available on control plane nodes")
	}

	archive, err := adminKubeconfigArchive(cfg, n.sim.now(), n.sim.settings.kubeconfigValidity())
	if err != nil {
		return status.Errorf(codes.Internal, "failed to generate kubeconfig: %s", err)
	}

	const chunk = 16 * 1024
	for start := 0; start < len(archive); start += chunk {
		end := min(start+chunk, len(archive))
		if err := stream.Send(&common.Data{Bytes: archive[start:end]}); err != nil {
			return err
		}
	}

	return nil
}

// Version answers with the Talos version the node runs.
func (s *machineService) Version(ctx context.Context, _ *emptypb.Empty) (*machine.VersionResponse, error) {
	n := s.node
	if n.currentMode() != ModeConfigured {
		// The maintenance service demands the admin role no client can have there.
		return nil, status.Error(codes.Unimplemented, "API is not implemented in maintenance mode")
	}

	n.mu.Lock()
	version := n.talosVersion
	n.mu.Unlock()

	return &machine.VersionResponse{Messages: []*machine.Version{{
		Metadata: n.replyMetadata(ctx),
		Version:  &machine.VersionInfo{Tag: version, Os: "linux", Arch: "amd64"},
		Platform: &machine.PlatformInfo{Name: "metal", Mode: "metal"},
		Features: &machine.FeaturesInfo{Rbac: true},
	}}}, nil
}

// ServiceList reports the node's services as machined does (servicetable.go):
// apid, machined and kubelet everywhere, trustd and etcd on a control plane,
// each with its state, health and events. etcd follows the embedded server:
// Preparing until the cluster is bootstrapped and the node a member, Running
// while it runs, healthy while it serves with a leader.
func (s *machineService) ServiceList(ctx context.Context, _ *emptypb.Empty) (*machine.ServiceListResponse, error) {
	n := s.node
	if err := n.configuredOnly("ServiceList"); err != nil {
		return nil, err
	}

	boot, err := n.currentBoot()
	if err != nil {
		return nil, err
	}

	var services []*machine.ServiceInfo
	if boot.services != nil {
		services = boot.services.list()
	}

	return &machine.ServiceListResponse{Messages: []*machine.ServiceList{{Metadata: n.replyMetadata(ctx), Services: services}}}, nil
}

// simulatedMemory is every node's memory: 16 GiB, above Talos' minimums
// (pkg/minimal of Talos 1.7: 2 GiB - 150 MiB for a control plane, 1 GiB -
// 150 MiB for a worker).
const simulatedMemory = 16 * 1024 * 1024 * 1024

// Memory reports the node's /proc/meminfo, in kB as the kernel counts.
func (s *machineService) Memory(ctx context.Context, _ *emptypb.Empty) (*machine.MemoryResponse, error) {
	n := s.node
	if err := n.configuredOnly("Memory"); err != nil {
		return nil, err
	}

	const kB = 1024

	return &machine.MemoryResponse{Messages: []*machine.Memory{{
		Metadata: n.replyMetadata(ctx),
		Meminfo: &machine.MemInfo{
			Memtotal:     simulatedMemory / kB,
			Memfree:      simulatedMemory / kB / 2,
			Memavailable: simulatedMemory / kB * 3 / 4,
			Buffers:      64 * 1024,
			Cached:       simulatedMemory / kB / 8,
			Swaptotal:    0,
			Swapfree:     0,
		},
	}}}, nil
}

// Mounts reports the node's mounted filesystems with their sizes: the
// EPHEMERAL partition of the install disk on /var among them.
func (s *machineService) Mounts(ctx context.Context, _ *emptypb.Empty) (*machine.MountsResponse, error) {
	n := s.node
	if err := n.configuredOnly("Mounts"); err != nil {
		return nil, err
	}

	n.mu.Lock()
	disk := n.installDiskLocked()
	n.mu.Unlock()

	const mib = 1024 * 1024

	ephemeral := uint64(simulatedDiskSize - systemPartitionsSize)

	return &machine.MountsResponse{Messages: []*machine.Mounts{{
		Metadata: n.replyMetadata(ctx),
		Stats: []*machine.MountStat{
			{Filesystem: "/dev/loop0", Size: 60 * mib, Available: 0, MountedOn: "/"},
			{Filesystem: partitionOf(disk, 5), Size: 100 * mib, Available: 95 * mib, MountedOn: "/system/state"},
			{Filesystem: partitionOf(disk, ephemeralPartition), Size: ephemeral, Available: ephemeral / 10 * 9, MountedOn: "/var"},
		},
	}}}, nil
}

// EtcdMemberList lists the members of the node's etcd cluster, as its own
// etcd knows them (the member name is the node's address, the simulator's
// hostname for it).
func (s *machineService) EtcdMemberList(ctx context.Context, _ *machine.EtcdMemberListRequest) (*machine.EtcdMemberListResponse, error) {
	n := s.node
	if err := n.configuredOnly("EtcdMemberList"); err != nil {
		return nil, err
	}

	n.mu.Lock()
	controlPlane := n.config.Machine().Type().IsControlPlane()
	n.mu.Unlock()

	if !controlPlane {
		return nil, status.Error(codes.Unimplemented, "member list is only available on control plane nodes")
	}

	client := n.etcd.localClient()
	if client == nil {
		return nil, status.Errorf(codes.Unavailable, "etcd is not running on this node: dial tcp %s: connect: connection refused",
			strings.TrimPrefix(n.etcdClientURL(), "http://"))
	}

	callCtx, cancel := context.WithTimeout(ctx, etcdCallTimeout)
	defer cancel()

	list, err := client.MemberList(clientv3.WithRequireLeader(callCtx))
	if err != nil {
		return nil, err
	}

	reply := &machine.EtcdMembers{Metadata: n.replyMetadata(ctx)}

	for _, member := range list.Members {
		reply.LegacyMembers = append(reply.LegacyMembers, member.GetName())
		reply.Members = append(reply.Members, &machine.EtcdMember{
			Id:         member.GetID(),
			Hostname:   member.GetName(),
			PeerUrls:   member.GetPeerURLs(),
			ClientUrls: member.GetClientURLs(),
			IsLearner:  member.GetIsLearner(),
		})
	}

	return &machine.EtcdMemberListResponse{Messages: []*machine.EtcdMembers{reply}}, nil
}

// simulatedDiskSize is the size of every disk of a node: far above Talos'
// minimum for the install disk (6 GiB, pkg/minimal of Talos 1.7).
const simulatedDiskSize = 512 * 1024 * 1024 * 1024

// Disks lists the node's disks; the provider asks for them before anything else.
func (s *storageService) Disks(ctx context.Context, _ *emptypb.Empty) (*storage.DisksResponse, error) {
	disks := make([]*storage.Disk, 0, len(s.node.sim.settings.Disks))

	for _, name := range s.node.sim.settings.Disks {
		diskType := storage.Disk_SSD
		if strings.Contains(name, "nvme") {
			diskType = storage.Disk_NVME
		}

		disks = append(disks, &storage.Disk{
			DeviceName: name,
			Size:       simulatedDiskSize,
			Model:      "Simulated Disk",
			Type:       diskType,
			Serial:     fmt.Sprintf("SIM-%s-%s", s.node.address, path.Base(name)),
		})
	}

	return &storage.DisksResponse{Messages: []*storage.Disks{{Metadata: s.node.replyMetadata(ctx), Disks: disks}}}, nil
}

// replyMetadata names the node in a reply, as apid does for calls it sends
// to several nodes ("nodes" metadata, as talosctl version sends).
func (n *Node) replyMetadata(ctx context.Context) *common.Metadata {
	if md, ok := metadata.FromIncomingContext(ctx); ok && (len(md.Get("nodes")) > 0 || len(md.Get("node")) > 0) {
		return &common.Metadata{Hostname: n.address}
	}

	return nil
}

// bootID is this boot's ID, as /proc/sys/kernel/random/boot_id says it: a new one at every boot.
const bootIDPath = "/proc/sys/kernel/random/boot_id"

// Read streams a file of the node. The simulator has one: the boot ID, which
// talosctl reads before and after an upgrade or a reboot to see the node rebooted.
func (s *machineService) Read(in *machine.ReadRequest, stream machine.MachineService_ReadServer) error {
	n := s.node
	if err := n.configuredOnly("Read"); err != nil {
		return err
	}

	if in.GetPath() != bootIDPath {
		return status.Errorf(codes.NotFound, "the simulator has no %s, only %s", in.GetPath(), bootIDPath)
	}

	boot, err := n.currentBoot()
	if err != nil {
		return err
	}

	return stream.Send(&common.Data{Bytes: []byte(boot.id + "\n")})
}

// Events streams the machine events of this boot, as machined does: first an
// empty event (the client waits for it to know the stream is up), then the
// past events asked for (tail_events: 0 none, -1 all since boot, N the last
// N), then the new ones, until the node goes down (the stream ends).
func (s *machineService) Events(in *machine.EventsRequest, stream machine.MachineService_EventsServer) error {
	n := s.node
	if err := n.configuredOnly("Events"); err != nil {
		return err
	}

	boot, err := n.currentBoot()
	if err != nil {
		return err
	}

	past, events, unsubscribe := boot.subscribe(in.GetTailEvents())
	defer unsubscribe()

	if err := stream.Send(&machine.Event{}); err != nil {
		return err
	}

	for _, event := range past {
		if err := stream.Send(event); err != nil {
			return err
		}
	}

	for {
		select {
		case event := <-events:
			if err := stream.Send(event); err != nil {
				return err
			}
		case <-boot.ctx.Done():
			// The node goes down: what it published before still goes out
			// (a reset's stopAllServices, which talosctl reset --wait waits
			// for), then the client sees the stream end.
			for {
				select {
				case event := <-events:
					if err := stream.Send(event); err != nil {
						return err
					}
				default:
					return nil
				}
			}
		case <-stream.Context().Done():
			return nil
		}
	}
}

// Upgrade installs another Talos version as Talos does: it answers with the
// actor ID of the upgrade, then reboots into the version of the installer
// image. Staged (stage set), the installer runs only at the next boot: the
// staged upgrade's own reboot, or a reboot asked for meanwhile. Only a
// configured node upgrades here.
func (s *machineService) Upgrade(ctx context.Context, in *machine.UpgradeRequest) (*machine.UpgradeResponse, error) {
	n := s.node
	if err := n.configuredOnly("Upgrade"); err != nil {
		return nil, err
	}

	tag := in.GetImage()[strings.LastIndex(in.GetImage(), ":")+1:]
	if !strings.HasPrefix(tag, "v") || !strings.Contains(in.GetImage(), "/installer:") {
		return nil, status.Errorf(codes.InvalidArgument, "image %q is not a Talos installer image", in.GetImage())
	}

	sequence := "upgrade"
	if in.GetStage() {
		sequence = "stageUpgrade"
	}

	actorID, err := n.startSequence(sequence, func() {
		n.upgrades++

		if in.GetStage() {
			n.stagedVersion = tag
		} else {
			n.pendingVersion = tag
		}
	})
	if err != nil {
		return nil, err
	}

	return &machine.UpgradeResponse{Messages: []*machine.Upgrade{{
		Metadata: n.replyMetadata(ctx),
		Ack:      "Upgrade request received",
		ActorId:  actorID,
	}}}, nil
}

// Reboot reboots the node; a staged upgrade takes effect now.
func (s *machineService) Reboot(ctx context.Context, _ *machine.RebootRequest) (*machine.RebootResponse, error) {
	n := s.node
	if err := n.configuredOnly("Reboot"); err != nil {
		return nil, err
	}

	actorID, err := n.startSequence("reboot", func() {})
	if err != nil {
		return nil, err
	}

	return &machine.RebootResponse{Messages: []*machine.Reboot{{Metadata: n.replyMetadata(ctx), ActorId: actorID}}}, nil
}

// startSequence starts a sequence that ends in a reboot, as machined does for
// an upgrade or a reboot: under the node's lock, change (what the sequence
// sets up) and the sequence's start event of a new actor, whose ID it
// returns; the node reboots once the reply is on its way.
func (n *Node) startSequence(sequence string, change func()) (string, error) {
	actorID, err := randomUUID()
	if err != nil {
		return "", err
	}

	n.mu.Lock()
	change()

	if n.session != nil {
		n.session.publish(actorID, &machine.SequenceEvent{Sequence: sequence, Action: machine.SequenceEvent_START})
	}
	n.mu.Unlock()

	n.rebootAfterReply()

	return actorID, nil
}
