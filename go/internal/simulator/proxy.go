package simulator

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"

	cosiapi "github.com/cosi-project/runtime/api/v1alpha1"
	cosiserver "github.com/cosi-project/runtime/pkg/state/protobuf/server"
	clusterapi "github.com/siderolabs/talos/pkg/machinery/api/cluster"
	"github.com/siderolabs/talos/pkg/machinery/api/common"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/api/storage"
	"github.com/siderolabs/talos/pkg/machinery/constants"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Proxying, as apid does it (internal/app/apid/pkg/director and
// siderolabs/grpc-proxy): a client sends one call to one endpoint, with gRPC
// metadata naming the nodes it is meant for. "nodes" (client.WithNodes) is
// one-to-many: the endpoint asks each node, and merges the answers into one
// reply whose messages each carry Metadata.Hostname, the node's address (a
// node that failed gives one message with Metadata.Error and Status instead);
// a streamed reply interleaves every node's messages, so marked. "node"
// (client.WithNode) is one-to-one: the node's reply, or its error, passes
// through as it is. A call naming no node, or only the endpoint itself, is
// answered by the endpoint, as before. COSI calls are one-to-one only.
//
// Every node lives in this process, so the endpoint does not dial the
// target: it calls the target's own handlers in-process, through the
// target's own admission, as if the call had reached it: nothing answers
// while it is down or rebooting (connection refused), its maintenance
// service refuses the handshake, its TLS check refuses a client
// certificate its CAs did not sign or that expired at the nodes' clock, and
// its interceptor applies its faults, holds, roles and records the call.
// The forwarded call carries the client's metadata but "nodes" and "node",
// and "proxyfrom" naming the endpoint, as apid forwards it; the target
// answers it itself. The endpoint's own part of a call to several nodes is
// answered by its handler directly: the call passed its admission already
// (faults, holds and the record apply once, to the call as a whole).

// apiService is one gRPC service of a node's Talos API and its implementation.
type apiService struct {
	desc *grpc.ServiceDesc
	impl any
}

// nodeAPI is the Talos API a node serves during one boot.
func nodeAPI(n *Node, boot *bootSession) []apiService {
	return []apiService{
		{&machine.MachineService_ServiceDesc, &machineService{node: n}},
		{&storage.StorageService_ServiceDesc, &storageService{node: n}},
		// Talos' cluster health checks, run through the real talosctl (healthcheck.go).
		{&clusterapi.ClusterService_ServiceDesc, &clusterService{node: n}},
		// COSI resources, as machined serves them: talosctl get resolves and lists them here.
		{&cosiapi.State_ServiceDesc, cosiserver.NewState(boot.resources)},
	}
}

func registerServices(server *grpc.Server, api []apiService) {
	for _, service := range api {
		server.RegisterService(service.desc, service.impl)
	}
}

// splitMethod splits "/machine.MachineService/Version" into service and method.
func splitMethod(fullMethod string) (service, method string) {
	service, method, _ = strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")

	return service, method
}

// unaryMethod is a unary method of the boot's API and its implementation.
func (s *bootSession) unaryMethod(fullMethod string) (any, *grpc.MethodDesc) {
	serviceName, methodName := splitMethod(fullMethod)

	for _, service := range s.api {
		if service.desc.ServiceName != serviceName {
			continue
		}

		for i := range service.desc.Methods {
			if service.desc.Methods[i].MethodName == methodName {
				return service.impl, &service.desc.Methods[i]
			}
		}
	}

	return nil, nil
}

// streamMethod is a streaming method of the boot's API and its implementation.
func (s *bootSession) streamMethod(fullMethod string) (any, *grpc.StreamDesc) {
	serviceName, methodName := splitMethod(fullMethod)

	for _, service := range s.api {
		if service.desc.ServiceName != serviceName {
			continue
		}

		for i := range service.desc.Streams {
			if service.desc.Streams[i].StreamName == methodName {
				return service.impl, &service.desc.Streams[i]
			}
		}
	}

	return nil, nil
}

type proxyMode int

const (
	answerHere proxyMode = iota
	oneToOne
	oneToMany
)

// route is apid's director: whom a call is for. Only a configured node's
// apid forwards; the maintenance service answers everything itself.
func (n *Node) route(ctx context.Context, fullMethod string) (proxyMode, []string, error) {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok || n.currentMode() != ModeConfigured {
		return answerHere, nil, nil
	}

	if _, forwarded := md["proxyfrom"]; forwarded {
		return answerHere, nil, nil
	}

	nodes, okNodes := md["nodes"]
	node, okNode := md["node"]

	if okNode && len(node) != 1 {
		return answerHere, nil, status.Error(codes.InvalidArgument, "node metadata must be single-valued")
	}

	// The endpoint alone: answered here, as the simulator always did.
	if okNode && node[0] == n.address {
		okNode = false
	}

	if okNodes && len(nodes) == 1 && nodes[0] == n.address {
		okNodes = false
	}

	switch {
	case okNodes:
		if strings.HasPrefix(fullMethod, "/cosi.") {
			return answerHere, nil, status.Error(codes.InvalidArgument, "one-2-many proxying is not supported for COSI methods")
		}

		return oneToMany, nodes, nil
	case okNode:
		return oneToOne, node, nil
	default:
		return answerHere, nil, nil
	}
}

// answerUnary answers a unary call here, or for the nodes it names.
func (n *Node) answerUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	mode, targets, err := n.route(ctx, info.FullMethod)

	switch {
	case err != nil:
		return nil, err
	case mode == answerHere:
		return handler(ctx, req)
	case mode == oneToOne:
		return n.forwardUnary(ctx, targets[0], info.FullMethod, req, handler)
	}

	method, err := methodDescriptor(info.FullMethod)
	if err != nil {
		return nil, err
	}

	results := make([]legResult, len(targets))

	var wg sync.WaitGroup

	for i, target := range targets {
		wg.Add(1)

		go func() {
			defer wg.Done()

			reply, err := n.forwardUnary(ctx, target, info.FullMethod, req, handler)
			results[i] = legResult{node: target, err: err}

			if err == nil {
				results[i].reply, _ = reply.(proto.Message) //nolint:errcheck
			}
		}()
	}

	wg.Wait()

	return mergeReplies(method.Output(), results)
}

// legResult is one node's answer to a call sent to several.
type legResult struct {
	node  string
	reply proto.Message
	err   error
}

// forwardUnary has a node answer a unary call: the endpoint itself (when it
// is among several nodes) with its own handler, another node in-process
// through its admission and interceptor.
func (n *Node) forwardUnary(ctx context.Context, target, fullMethod string, req any, handler grpc.UnaryHandler) (any, error) {
	if target == n.address {
		boot, err := n.currentBoot()
		if err != nil {
			return nil, err
		}

		legCtx, done := forwardedContext(ctx, n.address, boot)
		defer done()

		return handler(legCtx, req)
	}

	t, boot, err := n.sim.acceptForwarded(ctx, target)
	if err != nil {
		return nil, err
	}

	legCtx, done := forwardedContext(ctx, n.address, boot)
	defer done()

	impl, method := boot.unaryMethod(fullMethod)
	if method == nil {
		return nil, status.Errorf(codes.Unimplemented, "unknown method %s", fullMethod)
	}

	decode := func(into any) error {
		proto.Merge(into.(proto.Message), req.(proto.Message)) //nolint:forcetypeassert

		return nil
	}

	reply, err := method.Handler(impl, legCtx, decode, t.unaryInterceptor)

	return reply, t.legEnded(ctx, boot, err)
}

// answerStream answers a streaming call here, or for the nodes it names.
func (n *Node) answerStream(srv any, stream grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx := stream.Context()

	mode, targets, err := n.route(ctx, info.FullMethod)
	if err != nil {
		return err
	}

	if mode == answerHere {
		return handler(srv, stream)
	}

	method, err := methodDescriptor(info.FullMethod)
	if err != nil {
		return err
	}

	if method.IsStreamingClient() {
		// One-to-one only, as apid: the client's messages go on to the node as they come.
		if mode != oneToOne {
			return status.Errorf(codes.Unimplemented, "one-2-many proxying is not supported for client streams (%s)", info.FullMethod)
		}

		return n.forwardStream(ctx, srv, targets[0], info.FullMethod, nil, handler,
			&legStream{ctx: ctx, recv: stream.RecvMsg, send: stream.SendMsg, headers: stream})
	}

	req, err := newMessage(method.Input())
	if err != nil {
		return err
	}

	if err := stream.RecvMsg(req); err != nil {
		return err
	}

	if mode == oneToOne {
		return n.forwardStream(ctx, srv, targets[0], info.FullMethod, req, handler, &legStream{ctx: ctx, req: req, send: stream.SendMsg, headers: stream})
	}

	var (
		sendMu sync.Mutex
		wg     sync.WaitGroup
	)

	send := func(msg proto.Message) error {
		sendMu.Lock()
		defer sendMu.Unlock()

		return stream.SendMsg(msg)
	}

	for _, target := range targets {
		wg.Add(1)

		go func() {
			defer wg.Done()

			// Each message marked with the node it comes from; a copy, as a
			// node may send one message to several streams (events).
			leg := &legStream{ctx: ctx, req: req, send: func(m any) error {
				msg := proto.Clone(m.(proto.Message)) //nolint:forcetypeassert
				stampMetadata(msg.ProtoReflect(), &common.Metadata{Hostname: target})

				return send(msg)
			}}

			if err := n.forwardStream(ctx, srv, target, info.FullMethod, req, handler, leg); err != nil && ctx.Err() == nil {
				if msg, buildErr := newMessage(method.Output()); buildErr == nil {
					stampMetadata(msg.ProtoReflect(), errorMetadata(target, err))
					send(msg) //nolint:errcheck // the client went away: nothing to tell it
				}
			}
		}()
	}

	wg.Wait()

	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}

	return nil
}

// forwardStream has a node answer a streaming call, as forwardUnary does.
func (n *Node) forwardStream(ctx context.Context, srv any, target, fullMethod string, req proto.Message, handler grpc.StreamHandler, leg *legStream) error {
	if target == n.address {
		boot, err := n.currentBoot()
		if err != nil {
			return err
		}

		legCtx, done := forwardedContext(ctx, n.address, boot)
		defer done()

		leg.ctx = legCtx

		return handler(srv, leg)
	}

	t, boot, err := n.sim.acceptForwarded(ctx, target)
	if err != nil {
		return err
	}

	legCtx, done := forwardedContext(ctx, n.address, boot)
	defer done()

	impl, desc := boot.streamMethod(fullMethod)
	if desc == nil {
		return status.Errorf(codes.Unimplemented, "unknown method %s", fullMethod)
	}

	leg.ctx = legCtx
	info := &grpc.StreamServerInfo{FullMethod: fullMethod, IsClientStream: desc.ClientStreams, IsServerStream: desc.ServerStreams}

	return t.legEnded(ctx, boot, t.streamInterceptor(impl, leg, info, desc.Handler))
}

// legEnded is the error of a forwarded call: the target's own, or, when the
// target went down meanwhile while the client still waits, what a dropped
// connection gives.
func (n *Node) legEnded(ctx context.Context, boot *bootSession, err error) error {
	if boot.ctx.Err() != nil && ctx.Err() == nil {
		return status.Error(codes.Unavailable, "error reading from server: EOF")
	}

	return err
}

// forwardedContext is the context of a call forwarded to a node: the
// client's (its peer, its certificate), with the metadata apid forwards,
// ending when the client goes away or the target's boot ends.
func forwardedContext(ctx context.Context, from string, boot *bootSession) (context.Context, func()) {
	md, _ := metadata.FromIncomingContext(ctx)
	md = md.Copy()

	delete(md, "nodes")
	delete(md, "node")
	md.Set("proxyfrom", from)

	legCtx, cancel := context.WithCancel(metadata.NewIncomingContext(ctx, md))
	stop := context.AfterFunc(boot.ctx, cancel)

	return legCtx, func() {
		stop()
		cancel()
	}
}

// acceptForwarded is what a node a call is forwarded to does before its
// interceptor sees the call: it must be up with its Talos API, in
// configured mode, and accept the client's certificate. The error is what
// apid's backend gets when the connection cannot be made.
func (s *Simulator) acceptForwarded(ctx context.Context, target string) (*Node, *bootSession, error) {
	t := s.node(target)
	if t == nil {
		reason := "connect: connection refused"

		if ip := net.ParseIP(target); ip == nil || !ip.IsLoopback() {
			reason = "the simulator forwards to its own nodes only, on 127.0.0.0/8"
		}

		return nil, nil, s.dialError(target, reason)
	}

	t.mu.Lock()
	mode, boot, server, clientCAs := t.mode, t.session, t.server, t.clientCAs
	t.mu.Unlock()

	switch {
	case boot == nil || server == nil:
		return nil, nil, s.dialError(target, "connect: connection refused")
	case mode == ModeMaintenance:
		return nil, nil, status.Error(codes.Unavailable,
			`connection error: desc = "transport: authentication handshake failed: tls: failed to verify certificate: x509: certificate signed by unknown authority"`)
	}

	if err := t.verifyForwardedClient(ctx, clientCAs); err != nil {
		return nil, nil, status.Errorf(codes.Unavailable, `connection error: desc = "transport: authentication handshake failed: %s"`, err)
	}

	return t, boot, nil
}

// dialError is gRPC's error for a connection to a node's API that failed.
func (s *Simulator) dialError(target, reason string) error {
	port := s.settings.Port
	if port == 0 {
		port = constants.ApidPort
	}

	return status.Errorf(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp %s: %s"`,
		net.JoinHostPort(target, strconv.Itoa(port)), reason)
}

// legStream is the server stream a forwarded streaming call sees: the
// client's request, once, and its messages sent on to the client.
type legStream struct {
	ctx     context.Context //nolint:containedctx // a stream has one
	req     proto.Message
	read    bool
	recv    func(any) error // a client stream: the client's messages, as they come
	send    func(any) error
	headers grpc.ServerStream // one-to-one: the client's stream, for headers
}

func (s *legStream) Context() context.Context { return s.ctx }

func (s *legStream) SetHeader(md metadata.MD) error {
	if s.headers != nil {
		return s.headers.SetHeader(md)
	}

	return nil
}

func (s *legStream) SendHeader(md metadata.MD) error {
	if s.headers != nil {
		return s.headers.SendHeader(md)
	}

	return nil
}

func (s *legStream) SetTrailer(md metadata.MD) {
	if s.headers != nil {
		s.headers.SetTrailer(md)
	}
}

func (s *legStream) SendMsg(m any) error {
	if err := s.ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}

	return s.send(m)
}

func (s *legStream) RecvMsg(m any) error {
	if s.recv != nil {
		return s.recv(m)
	}

	if s.read {
		return io.EOF
	}

	s.read = true
	proto.Merge(m.(proto.Message), s.req) //nolint:forcetypeassert

	return nil
}

// methodDescriptor is the protobuf description of a gRPC method.
func methodDescriptor(fullMethod string) (protoreflect.MethodDescriptor, error) {
	serviceName, methodName := splitMethod(fullMethod)

	descriptor, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(serviceName))
	if err != nil {
		return nil, status.Errorf(codes.Unimplemented, "unknown service %s", serviceName)
	}

	service, ok := descriptor.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, status.Errorf(codes.Unimplemented, "unknown service %s", serviceName)
	}

	method := service.Methods().ByName(protoreflect.Name(methodName))
	if method == nil {
		return nil, status.Errorf(codes.Unimplemented, "unknown method %s for service %s", methodName, serviceName)
	}

	return method, nil
}

func newMessage(descriptor protoreflect.MessageDescriptor) (proto.Message, error) {
	messageType, err := protoregistry.GlobalTypes.FindMessageByName(descriptor.FullName())
	if err != nil {
		return nil, status.Errorf(codes.Internal, "message type %s: %v", descriptor.FullName(), err)
	}

	return messageType.New().Interface(), nil
}

// errorMetadata is how apid reports a node that failed: its address, the
// error, and the error's status.
func errorMetadata(node string, err error) *common.Metadata {
	return &common.Metadata{Hostname: node, Error: err.Error(), Status: status.Convert(err).Proto()}
}

// stampMetadata merges metadata into a message's "metadata" field (Talos'
// common.Metadata), as apid appends it to a node's reply; false if the
// message has none.
func stampMetadata(msg protoreflect.Message, md *common.Metadata) bool {
	field := msg.Descriptor().Fields().ByName("metadata")
	if field == nil || field.Message() == nil || field.Message().FullName() != (&common.Metadata{}).ProtoReflect().Descriptor().FullName() {
		return false
	}

	merged := &common.Metadata{}
	if msg.Has(field) {
		proto.Merge(merged, msg.Get(field).Message().Interface())
	}

	proto.Merge(merged, md)
	msg.Set(field, protoreflect.ValueOfMessage(merged.ProtoReflect()))

	return true
}

// mergeReplies is apid's one-to-many unary reply: every node's messages,
// each marked with the node, and one message for each node that failed.
func mergeReplies(output protoreflect.MessageDescriptor, results []legResult) (proto.Message, error) {
	merged, err := newMessage(output)
	if err != nil {
		return nil, err
	}

	field := merged.ProtoReflect().Descriptor().Fields().ByName("messages")
	if field == nil || !field.IsList() || field.Message() == nil {
		return nil, status.Errorf(codes.Internal, "unexpected message format: %s has no repeated messages", output.FullName())
	}

	messages := merged.ProtoReflect().Mutable(field).List()

	for _, result := range results {
		if result.err != nil {
			failed := messages.NewElement()
			stampMetadata(failed.Message(), errorMetadata(result.node, result.err))
			messages.Append(failed)

			continue
		}

		if result.reply == nil {
			continue
		}

		replies := result.reply.ProtoReflect().Get(field).List()
		for i := range replies.Len() {
			reply := replies.Get(i).Message()
			if !stampMetadata(reply, &common.Metadata{Hostname: result.node}) {
				return nil, fmt.Errorf("unexpected message format: %s has no metadata", reply.Descriptor().FullName())
			}

			messages.Append(protoreflect.ValueOfMessage(reply))
		}
	}

	return merged, nil
}
