package simulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/common"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// Talos' etcd disaster recovery (website/content/v1.7/advanced/
// disaster-recovery.md), as machined serves it: EtcdSnapshot streams the
// member's snapshot, Reset wipes EPHEMERAL (the etcd data) and reboots,
// EtcdRecover uploads a snapshot and Bootstrap with recover_etcd restores it
// into a new one-member cluster (etcd's own restore: etcdutl v3.5.13, the
// version Talos 1.7.4 pins), which the other control planes then join.

// resetStopDelay is how long a reset's services take to stop before the node goes down.
const resetStopDelay = 500 * time.Millisecond

// snapshotChunk is how many bytes of a snapshot go in one message.
const snapshotChunk = 32 * 1024

// checkControlPlane answers as machined does a control-plane-only API on a worker.
func (n *Node) checkControlPlane(apiName string) error {
	n.mu.Lock()
	controlPlane := n.config != nil && n.config.Machine().Type().IsControlPlane()
	n.mu.Unlock()

	if !controlPlane {
		return status.Errorf(codes.Unimplemented, "%s is only available on control plane nodes", apiName)
	}

	return nil
}

// etcdNotRunning is what a client of the local etcd gets while no member runs.
func (n *Node) etcdNotRunning() string {
	return fmt.Sprintf("dial tcp %s: connect: connection refused", strings.TrimPrefix(n.etcdClientURL(), "http://"))
}

// EtcdSnapshot streams a snapshot of the node's etcd member, as etcd's
// maintenance API gives it: the bolt database, then its SHA-256 (what
// etcdutl snapshot status and restore check).
func (s *machineService) EtcdSnapshot(_ *machine.EtcdSnapshotRequest, stream machine.MachineService_EtcdSnapshotServer) error {
	n := s.node
	if err := n.configuredOnly("EtcdSnapshot"); err != nil {
		return err
	}

	if err := n.checkControlPlane("etcd snapshot"); err != nil {
		return err
	}

	client := n.etcd.localClient()
	if client == nil {
		return fmt.Errorf("failed reading etcd snapshot: %s", n.etcdNotRunning())
	}

	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()

	reader, err := client.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("failed reading etcd snapshot: %w", err)
	}
	defer reader.Close() //nolint:errcheck

	buf := make([]byte, snapshotChunk)

	for {
		read, err := io.ReadFull(reader, buf)
		if read > 0 {
			if sendErr := stream.Send(&common.Data{Bytes: slices.Clone(buf[:read])}); sendErr != nil {
				return sendErr
			}
		}

		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil
		case err != nil:
			return fmt.Errorf("failed reading etcd snapshot: %w", err)
		}
	}
}

// EtcdRecover stores an uploaded snapshot for a Bootstrap with recover_etcd,
// as machined does (/var/lib/etcd.snapshot): nothing is checked yet.
func (s *machineService) EtcdRecover(stream machine.MachineService_EtcdRecoverServer) error {
	n := s.node
	if err := n.configuredOnly("EtcdRecover"); err != nil {
		return err
	}

	if err := n.checkControlPlane("etcd recover"); err != nil {
		return err
	}

	root, err := n.sim.ensureDataRoot()
	if err != nil {
		return err
	}

	if err := os.MkdirAll(filepath.Join(root, n.address), 0o700); err != nil {
		return err
	}

	file, err := os.OpenFile(n.etcdSnapshotPath(), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("error creating etcd recovery snapshot: %w", err)
	}

	uploaded := false

	defer func() {
		file.Close() //nolint:errcheck

		if !uploaded {
			os.Remove(file.Name()) //nolint:errcheck
		}
	}()

	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}

		if err != nil {
			return err
		}

		if _, err := file.Write(msg.GetBytes()); err != nil {
			return fmt.Errorf("error writing snapshot: %w", err)
		}
	}

	if err := file.Close(); err != nil {
		return fmt.Errorf("error closing snapshot: %w", err)
	}

	uploaded = true

	return stream.SendAndClose(&machine.EtcdRecoverResponse{Messages: []*machine.EtcdRecover{{Metadata: n.replyMetadata(stream.Context())}}})
}

// restoreSnapshot restores the uploaded snapshot, as Talos' etcd service
// does before it starts a recovered member: etcdutl's status, then its
// restore into a new one-member cluster of the node (its name and peer URL),
// the hash checked unless skipHashCheck (a copy of a data directory has
// none). It returns the folder restored into; the snapshot is removed once
// restored. A snapshot that fails leaves everything as it was.
func (n *Node) restoreSnapshot(skipHashCheck bool) (dir string, err error) {
	if n.sim.dataRoot() == "" {
		return "", status.Error(codes.FailedPrecondition, "error verifying snapshot: no snapshot was uploaded (EtcdRecover)")
	}

	path := n.etcdSnapshotPath()
	if _, err := os.Stat(path); err != nil {
		return "", status.Errorf(codes.FailedPrecondition, "error verifying snapshot: %s (upload one with EtcdRecover first)", err)
	}

	dir = n.etcdRestoredDir()
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}

	// bbolt may panic on a corrupt file rather than fail.
	defer func() {
		if r := recover(); r != nil {
			os.RemoveAll(dir) //nolint:errcheck
			dir, err = "", status.Errorf(codes.InvalidArgument, "error recovering from the snapshot: corrupt snapshot: %v", r)
		}
	}()

	manager := snapshot.NewV3(zap.NewNop())

	info, err := manager.Status(path)
	if err != nil {
		return "", status.Errorf(codes.InvalidArgument, "error verifying snapshot: %s", err)
	}

	n.sim.logf("node %s: recovering etcd from snapshot: hash %08x, revision %d, total keys %d, total size %d\n",
		n.address, info.Hash, info.Revision, info.TotalKey, info.TotalSize)

	if err := manager.Restore(snapshot.RestoreConfig{
		SnapshotPath:   path,
		Name:           n.etcdName(),
		OutputDataDir:  dir,
		PeerURLs:       []string{n.etcdPeerURL()},
		InitialCluster: n.etcdName() + "=" + n.etcdPeerURL(),
		SkipHashCheck:  skipHashCheck,
	}); err != nil {
		os.RemoveAll(dir) //nolint:errcheck

		return "", status.Errorf(codes.InvalidArgument, "error recovering from the snapshot: %s", err)
	}

	if err := os.Remove(path); err != nil {
		return "", fmt.Errorf("error deleting snapshot: %w", err)
	}

	return dir, nil
}

// EtcdStatus reports the node's member as etcd's maintenance status does.
func (s *machineService) EtcdStatus(ctx context.Context, _ *emptypb.Empty) (*machine.EtcdStatusResponse, error) {
	n := s.node
	if err := n.configuredOnly("EtcdStatus"); err != nil {
		return nil, err
	}

	if err := n.checkControlPlane("etcd status"); err != nil {
		return nil, err
	}

	client := n.etcd.localClient()
	if client == nil {
		return nil, fmt.Errorf("failed to query etcd status: %s", n.etcdNotRunning())
	}

	callCtx, cancel := context.WithTimeout(ctx, etcdCallTimeout)
	defer cancel()

	resp, err := client.Status(callCtx, n.etcdClientURL())
	if err != nil {
		return nil, fmt.Errorf("failed to query etcd status: %w", err)
	}

	return &machine.EtcdStatusResponse{Messages: []*machine.EtcdStatus{{
		Metadata: n.replyMetadata(ctx),
		MemberStatus: &machine.EtcdMemberStatus{
			MemberId:         resp.Header.GetMemberId(),
			ProtocolVersion:  resp.Version,
			DbSize:           resp.DbSize,
			DbSizeInUse:      resp.DbSizeInUse,
			Leader:           resp.Leader,
			RaftIndex:        resp.RaftIndex,
			RaftTerm:         resp.RaftTerm,
			RaftAppliedIndex: resp.RaftAppliedIndex,
			Errors:           resp.Errors,
			IsLearner:        resp.IsLearner,
		},
	}}}, nil
}

// resetWipe is what a reset wipes.
type resetWipe struct {
	ephemeral bool // /var: the etcd data (and an uploaded snapshot)
	state     bool // the machine configuration: the node boots into maintenance mode
	etcd      bool // the etcd data only (a member that left its cluster)
}

// systemPartitionLabels are the labels of Talos' system partitions (installer.ParseTarget).
var systemPartitionLabels = []string{
	constants.EFIPartitionLabel, constants.BIOSGrubPartitionLabel, constants.BootPartitionLabel,
	constants.MetaPartitionLabel, constants.StatePartitionLabel, constants.EphemeralPartitionLabel,
}

// Reset resets the node as machined's reset sequence does, once the reply is
// on its way: graceful, a control plane first leaves its etcd cluster (the
// reset fails, changing nothing, if it cannot); its services stop (the
// event talosctl reset --wait waits for), then it wipes and reboots (or
// powers off: reboot=false; POST /nodes/{address}/up boots it again).
//
// What it wipes: the system partitions named (system_partitions_to_wipe
// with wipe=true): EPHEMERAL is the etcd data, STATE the machine
// configuration (the node comes back in maintenance mode); EFI, BIOS, BOOT
// and META hold nothing the simulator keeps. Named none, the whole system
// disk (both) unless the mode is USER_DISKS. User disks hold nothing here:
// they are only checked as Talos does.
func (s *machineService) Reset(ctx context.Context, in *machine.ResetRequest) (*machine.ResetResponse, error) {
	n := s.node
	if err := n.configuredOnly("Reset"); err != nil {
		return nil, err
	}

	wipe, err := n.resetWipeOf(in)
	if err != nil {
		return nil, err
	}

	n.mu.Lock()
	controlPlane := n.config.Machine().Type().IsControlPlane()
	n.mu.Unlock()

	if in.GetGraceful() && controlPlane {
		// Talos leaves etcd in the sequence, after answering; the simulator
		// first, so that a reset that cannot leave is refused and changes nothing.
		if err := n.leaveEtcd(ctx); err != nil {
			return nil, status.Errorf(codes.FailedPrecondition, "failed to leave etcd cluster: %s (reset --graceful=false resets without leaving)", err)
		}
	}

	actorID, err := randomUUID()
	if err != nil {
		return nil, err
	}

	// A member that left its cluster cannot start from its data again.
	wipe.etcd = in.GetGraceful() && controlPlane

	n.mu.Lock()
	n.resets++

	boot := n.session
	if boot != nil {
		boot.publish(actorID, &machine.SequenceEvent{Sequence: "reset", Action: machine.SequenceEvent_START})
	}
	n.mu.Unlock()

	// The sequence, once the reply is on its way: services stop (the event
	// talosctl reset --wait waits for), then the node goes down, wipes,
	// reboots or powers off.
	stopping := func() {
		if boot != nil {
			boot.publish(actorID, &machine.TaskEvent{Task: "stopAllServices", Action: machine.TaskEvent_START})
		}

		// Stopping the services takes Talos a while: the event reaches
		// talosctl before the node (or an endpoint proxying for it, reset
		// too) goes down.
		time.Sleep(resetStopDelay)
	}

	n.goDownAfterReply(stopping, func() bool {
		n.resetWhileOff(wipe)

		return !in.GetReboot()
	})

	return &machine.ResetResponse{Messages: []*machine.Reset{{Metadata: n.replyMetadata(ctx), ActorId: actorID}}}, nil
}

// resetWipeOf checks a reset request as machined does and says what it wipes.
func (n *Node) resetWipeOf(in *machine.ResetRequest) (resetWipe, error) {
	n.mu.Lock()
	systemDisk := n.installDiskLocked()
	n.mu.Unlock()

	if len(in.GetUserDisksToWipe()) > 0 {
		if in.GetMode() == machine.ResetRequest_SYSTEM_DISK {
			return resetWipe{}, errors.New("reset failed: invalid input, wipe mode SYSTEM_DISK doesn't support UserDisksToWipe parameter")
		}

		for _, disk := range in.GetUserDisksToWipe() {
			switch {
			case !slices.Contains(n.sim.settings.Disks, disk):
				return resetWipe{}, fmt.Errorf("reset user disk failed: device %s wasn't found", disk)
			case disk == systemDisk:
				return resetWipe{}, fmt.Errorf("reset user disk failed: device %s is the system disk", disk)
			}
		}
	}

	if len(in.GetSystemPartitionsToWipe()) == 0 {
		if in.GetMode() == machine.ResetRequest_USER_DISKS {
			return resetWipe{}, nil
		}

		return resetWipe{ephemeral: true, state: true}, nil
	}

	if in.GetMode() == machine.ResetRequest_USER_DISKS {
		return resetWipe{}, errors.New("reset failed: invalid input, wipe mode USER_DISKS doesn't support SystemPartitionsToWipe parameter")
	}

	var wipe resetWipe

	for _, spec := range in.GetSystemPartitionsToWipe() {
		if !slices.Contains(systemPartitionLabels, spec.GetLabel()) {
			return resetWipe{}, fmt.Errorf("label %q is not supported", spec.GetLabel())
		}

		if !spec.GetWipe() {
			continue
		}

		switch spec.GetLabel() {
		case constants.EphemeralPartitionLabel:
			wipe.ephemeral = true
		case constants.StatePartitionLabel:
			wipe.state = true
		}
	}

	return wipe, nil
}

// resetWhileOff wipes what a reset wipes, the node down (its etcd stopped).
func (n *Node) resetWhileOff(wipe resetWipe) {
	switch {
	case wipe.ephemeral:
		n.wipeEphemeral()
	case wipe.etcd:
		n.wipeEtcdData()
	}

	n.mu.Lock()
	// A bootstrap not served yet goes with the reboot.
	n.etcdBootstrap = nil

	// The data the fault etcdDataLost took is wiped now anyway: the member is empty, not failed.
	if wipe.ephemeral || wipe.etcd {
		n.faults.EtcdDataLost = false
	}

	cluster := ""

	if wipe.state {
		cluster = clusterID(n)
		n.config, n.configBytes = nil, nil
		n.pendingVersion, n.stagedVersion = "", ""
	}
	n.mu.Unlock()

	if wipe.state {
		n.sim.kubeClusterLeft(cluster)
	}

	n.sim.pokeKube()
}

// leaveEtcd removes the node's member from its cluster, as a graceful reset
// of a control plane does (Talos' leaveEtcd): through its own member, which
// needs the cluster's quorum. A member that has no data, or does not run,
// has nothing to leave (Talos leaves only when etcd runs or failed).
func (n *Node) leaveEtcd(ctx context.Context) error {
	client := n.etcd.localClient()
	if client == nil || !n.etcdHasData() {
		return nil
	}

	callCtx, cancel := context.WithTimeout(ctx, etcdCallTimeout)
	defer cancel()

	callCtx = clientv3.WithRequireLeader(callCtx)

	list, err := client.MemberList(callCtx)
	if err != nil {
		return err
	}

	for _, member := range list.Members {
		if member.GetName() == n.etcdName() {
			if _, err := client.MemberRemove(callCtx, member.GetID()); err != nil {
				return err
			}
		}
	}

	return nil
}
