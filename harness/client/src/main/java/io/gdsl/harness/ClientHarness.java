package io.gdsl.harness;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.clients.ClientRequest;
import org.apache.kafka.clients.GroupRebalanceConfig;
import org.apache.kafka.clients.MockClient;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.GdslStickyAccess;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.clients.consumer.internals.AutoOffsetResetStrategy;
import org.apache.kafka.clients.consumer.internals.BaseHeartbeatThread;
import org.apache.kafka.clients.consumer.internals.ConsumerCoordinator;
import org.apache.kafka.clients.consumer.internals.ConsumerInterceptors;
import org.apache.kafka.clients.consumer.internals.ConsumerMetadata;
import org.apache.kafka.clients.consumer.internals.ConsumerNetworkClient;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.clients.consumer.internals.GdslAccess;
import org.apache.kafka.clients.consumer.internals.SubscriptionState;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.internals.ClusterResourceListeners;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.HeartbeatResponse;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupResponse;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.kafka.common.requests.RequestTestUtils;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.SyncGroupResponse;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.MockTime;

/**
 * N consumers, each one Kafka classic ConsumerCoordinator set up as Kafka's own
 * ConsumerCoordinatorTest sets it up (MockClient, ConsumerNetworkClient,
 * SubscriptionState, ConsumerMetadata, MockTime that only moves when Kafka sleeps),
 * driven over JSON lines: one request object in, one answer object out.
 *
 * No heartbeat thread runs (a BaseHeartbeatThread that does nothing is supplied, as
 * the coordinator's constructor allows): the driver sends heartbeats and expires the
 * poll timer itself, so every step is deterministic. The coordinator's connection id
 * for broker e is Integer.MAX_VALUE - e, as Kafka makes it; the spec's coordinator
 * epoch e is broker e.
 *
 * Requests: reset, start, crash, find, poll, respond, heartbeat, commit, poll_timeout,
 * close, grow, notice, state. Answer: {"clients": [...]} (each client's abstraction,
 * its requests in flight and the rebalance-listener events of this step), plus
 * op-specific fields; {"crash": "..."} for an internal failure of the harness.
 */
public final class ClientHarness {
    static final String TOPIC = "t";
    static final String GROUP = "g";
    static final ObjectMapper JSON = new ObjectMapper();

    int partitions = 2;
    String assignorName = "range";
    int brokers = 4;
    List<Integer> timeouts = List.of(300000, 600000);
    final List<Client> clients = new ArrayList<>();

    /** One consumer process: its coordinator and what it runs on. */
    final class Client {
        final int index;
        final MockTime time = new MockTime(0);
        final LogContext logContext;
        final SubscriptionState subscriptions;
        final ConsumerMetadata metadata;
        final MockClient mock;
        final ConsumerNetworkClient network;
        final ConsumerCoordinator coordinator;
        final ConsumerPartitionAssignor assignor;
        final Metrics metrics;
        boolean alive = true;
        final ArrayNode events = JSON.createArrayNode();
        final List<ClientRequest> inFlight = new ArrayList<>();   // sent by Kafka, not yet answered by the driver

        Client(int index, int timeoutConfig) {
            this.index = index;
            logContext = new LogContext("[c" + index + "] ");
            subscriptions = new SubscriptionState(logContext, AutoOffsetResetStrategy.EARLIEST);
            metadata = new ConsumerMetadata(0, 0, Long.MAX_VALUE, false, false, subscriptions, logContext,
                new ClusterResourceListeners());
            mock = new MockClient(time, metadata);
            mock.updateMetadata(RequestTestUtils.metadataUpdateWith(brokers, Map.of(TOPIC, partitions)));
            network = new ConsumerNetworkClient(logContext, mock, metadata, time, 100, 1_000_000_000, Integer.MAX_VALUE);
            metrics = new Metrics(time);
            assignor = newAssignor(assignorName);
            GroupRebalanceConfig config = new GroupRebalanceConfig(10000, timeouts.get(timeoutConfig), 3000, GROUP,
                Optional.empty(), null, 100, 1000);
            coordinator = new ConsumerCoordinator(config, logContext, network, List.of(assignor), metadata,
                subscriptions, metrics, "consumer" + index, time, false, 5000,
                new ConsumerInterceptors<>(List.of(), metrics), false, Optional.empty(),
                Optional.of(() -> new BaseHeartbeatThread("gdsl-no-heartbeat-thread-" + index, true)));
            subscriptions.subscribe(new TreeSet<>(List.of(TOPIC)), Optional.of(new Listener(this)));
        }

        /** Move what Kafka sent from the mock network into our list of requests in flight. */
        void collect() {
            for (ClientRequest r : mock.requests()) {
                if (!inFlight.contains(r)) inFlight.add(r);
            }
            inFlight.removeIf(r -> !mock.requests().contains(r));
        }

        ClientRequest request(ApiKeys api, Integer correlation) {
            collect();
            for (ClientRequest r : inFlight) {
                if (r.apiKey() == api && (correlation == null || r.correlationId() == correlation)) return r;
            }
            return null;
        }

        void respond(ClientRequest r, AbstractResponse response) {
            mock.respondToRequest(r, response);
            inFlight.remove(r);
        }

        void pollNetwork() {
            network.poll(time.timer(0));
            collect();
        }
    }

    /** Records the rebalance listener's calls, and the client as it is when onJoinComplete ends. */
    final class Listener implements ConsumerRebalanceListener {
        final Client client;

        Listener(Client client) {
            this.client = client;
        }

        void record(String kind, Collection<TopicPartition> parts) {
            ObjectNode e = JSON.createObjectNode();
            e.put("kind", kind);
            e.set("partitions", partitionList(parts));
            if (kind.equals("assigned")) e.set("state", abstraction(client, true));
            client.events.add(e);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> parts) {
            record("revoked", parts);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> parts) {
            record("assigned", parts);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> parts) {
            record("lost", parts);
        }
    }

    static ConsumerPartitionAssignor newAssignor(String name) {
        switch (name) {
            case "range": return new RangeAssignor();
            case "roundrobin": return new RoundRobinAssignor();
            case "sticky": return new StickyAssignor();
            case "cooperative_sticky": case "cooperative-sticky": return new CooperativeStickyAssignor();
            default: throw new IllegalArgumentException("unknown assignor " + name);
        }
    }

    static ArrayNode partitionList(Collection<TopicPartition> parts) {
        ArrayNode a = JSON.createArrayNode();
        TreeSet<Integer> sorted = new TreeSet<>();
        for (TopicPartition tp : parts) sorted.add(tp.partition());
        sorted.forEach(a::add);
        return a;
    }

    static List<TopicPartition> topicPartitions(JsonNode a) {
        List<TopicPartition> out = new ArrayList<>();
        if (a != null) for (JsonNode p : a) out.add(new TopicPartition(TOPIC, p.asInt()));
        return out;
    }

    static Integer brokerOf(Node n) {
        return n == null ? null : Integer.MAX_VALUE - n.id();
    }

    // ------------------------------------------------------------------ the abstraction

    ObjectNode abstraction(Client c, boolean inJoinComplete) {
        ObjectNode o = JSON.createObjectNode();
        o.put("alive", c.alive);
        if (!c.alive) return o;
        ConsumerCoordinator k = c.coordinator;
        o.put("state", GdslAccess.state(k));
        o.put("generation", GdslAccess.generationId(k));
        o.put("member_id", GdslAccess.memberId(k));
        o.put("leader", GdslAccess.isLeader(k));
        o.put("assignment_snapshot", GdslAccess.hasAssignmentSnapshot(k));
        boolean rejoin = GdslAccess.rejoinNeeded(k);
        boolean pending = GdslAccess.joinPending(k);
        o.put("rejoin_needed", rejoin);
        o.put("join_pending", pending && !inJoinComplete);
        // what the spec calls rejoinNeeded: a new JoinGroup is due (not one in progress)
        // (Kafka's rejoinNeeded stays true through a whole JoinGroup/SyncGroup round; a
        // generation reset while the round is pending shows as UNJOINED)
        o.put("rejoin", rejoin && (inJoinComplete || !pending || GdslAccess.state(k).equals("UNJOINED")));
        o.set("owned", partitionList(c.subscriptions.assignedPartitions()));
        Node coord = GdslAccess.coordinator(k);
        if (coord == null) o.putNull("coordinator"); else o.put("coordinator", brokerOf(coord));
        o.put("in_join_complete", inJoinComplete);
        return o;
    }

    ObjectNode describe(ClientRequest r, Client c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("api", r.apiKey().name);
        o.put("id", r.correlationId());
        o.put("epoch", Integer.MAX_VALUE - Integer.parseInt(r.destination()));
        AbstractRequest req = r.requestBuilder().build(r.requestBuilder().latestAllowedVersion());
        if (req instanceof JoinGroupRequest) {
            JoinGroupRequestData d = ((JoinGroupRequest) req).data();
            o.put("member_id", d.memberId());
            o.put("timeout", d.rebalanceTimeoutMs());
            JoinGroupRequestData.JoinGroupRequestProtocol p = d.protocols().iterator().next();
            o.put("protocol", p.name());
            ConsumerPartitionAssignor.Subscription s = ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(p.metadata()));
            o.set("owned", partitionList(s.ownedPartitions()));
            o.put("sub_generation", s.generationId().orElse(-1));
            if (c.assignor instanceof StickyAssignor) {
                var md = GdslStickyAccess.decode((StickyAssignor) c.assignor, s);
                o.set("sticky_owned", partitionList(md.partitions));
                o.put("sticky_generation", md.generation.orElse(-1));
            }
        } else if (req instanceof SyncGroupRequest) {
            SyncGroupRequestData d = ((SyncGroupRequest) req).data();
            o.put("member_id", d.memberId());
            o.put("generation", d.generationId());
            ObjectNode as = JSON.createObjectNode();
            for (SyncGroupRequestData.SyncGroupRequestAssignment a : d.assignments()) {
                ConsumerPartitionAssignor.Assignment asg = ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(a.assignment()));
                as.set(a.memberId(), partitionList(asg.partitions()));
            }
            o.set("assignments", as);
        } else if (req instanceof OffsetCommitRequest) {
            OffsetCommitRequestData d = ((OffsetCommitRequest) req).data();
            o.put("member_id", d.memberId());
            o.put("generation", d.generationIdOrMemberEpoch());
            ObjectNode offs = JSON.createObjectNode();
            for (var t : d.topics())
                for (var p : t.partitions()) offs.put(String.valueOf(p.partitionIndex()), p.committedOffset());
            o.set("offsets", offs);
        } else if (req instanceof HeartbeatRequest) {
            o.put("member_id", ((HeartbeatRequest) req).data().memberId());
            o.put("generation", ((HeartbeatRequest) req).data().generationId());
        } else if (req instanceof LeaveGroupRequest) {
            var ms = ((LeaveGroupRequest) req).data().members();
            o.put("member_id", ms.isEmpty() ? "" : ms.get(0).memberId());
        }
        return o;
    }

    ObjectNode answer() {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode cs = out.putArray("clients");
        for (Client c : clients) {
            // transmit what Kafka queued (a chained SyncGroup, a rejoin): the network
            // thread's job; no response is pending, so nothing else happens
            if (c.alive) c.network.pollNoWakeup();
            ObjectNode o = abstraction(c, false);
            if (c.alive) {
                c.collect();
                ArrayNode rs = o.putArray("requests");
                for (ClientRequest r : c.inFlight) rs.add(describe(r, c));
            }
            o.set("events", c.events.deepCopy());
            c.events.removeAll();
            cs.add(o);
        }
        return out;
    }

    // ------------------------------------------------------------------ responses

    AbstractResponse buildResponse(Client c, ApiKeys api, JsonNode op) {
        Errors error = Errors.valueOf(op.path("error").asText("NONE"));
        String protocol = c.assignor.name();
        switch (api) {
            case JOIN_GROUP: {
                JoinGroupResponseData d = new JoinGroupResponseData()
                    .setErrorCode(error.code())
                    .setGenerationId(op.path("generation").asInt(-1))
                    .setMemberId(op.path("member_id").asText(""))
                    .setProtocolType(ConsumerProtocol.PROTOCOL_TYPE)
                    .setLeader(op.path("leader_id").asText(""));
                if (error == Errors.NONE) d.setProtocolName(protocol);
                List<JoinGroupResponseData.JoinGroupResponseMember> members = new ArrayList<>();
                for (JsonNode m : op.path("members")) {
                    List<TopicPartition> owned = topicPartitions(m.get("owned"));
                    int gen = m.path("gen").asInt(-1);
                    ByteBuffer userData = null;
                    if (c.assignor instanceof StickyAssignor) {
                        userData = GdslStickyAccess.encode(owned, gen);
                        owned = List.of();      // the EAGER sticky assignor's owned partitions were revoked
                    }
                    ConsumerPartitionAssignor.Subscription s = new ConsumerPartitionAssignor.Subscription(
                        List.of(TOPIC), userData, owned, gen, Optional.empty());
                    members.add(new JoinGroupResponseData.JoinGroupResponseMember()
                        .setMemberId(m.get("id").asText())
                        .setMetadata(ConsumerProtocol.serializeSubscription(s).array()));
                }
                d.setMembers(members);
                return new JoinGroupResponse(d, ApiKeys.JOIN_GROUP.latestVersion());
            }
            case SYNC_GROUP: {
                SyncGroupResponseData d = new SyncGroupResponseData().setErrorCode(error.code())
                    .setProtocolType(ConsumerProtocol.PROTOCOL_TYPE);
                if (error == Errors.NONE) {
                    d.setProtocolName(protocol);
                    ByteBuffer b = ConsumerProtocol.serializeAssignment(
                        new ConsumerPartitionAssignor.Assignment(topicPartitions(op.get("assignment"))));
                    byte[] bytes = new byte[b.remaining()];
                    b.get(bytes);
                    d.setAssignment(bytes);
                } else {
                    d.setAssignment(new byte[0]);
                }
                return new SyncGroupResponse(d);
            }
            case HEARTBEAT:
                return new HeartbeatResponse(new HeartbeatResponseData().setErrorCode(error.code()));
            case LEAVE_GROUP:
                return new LeaveGroupResponse(new LeaveGroupResponseData().setErrorCode(error.code()));
            case OFFSET_COMMIT: {
                ClientRequest r = c.request(ApiKeys.OFFSET_COMMIT, null);
                Map<TopicPartition, Errors> errors = new HashMap<>();
                OffsetCommitRequestData d = ((OffsetCommitRequest) r.requestBuilder().build()).data();
                for (var t : d.topics())
                    for (var p : t.partitions()) errors.put(new TopicPartition(t.name(), p.partitionIndex()), error);
                return new OffsetCommitResponse(errors);
            }
            default:
                throw new IllegalArgumentException("no response for " + api);
        }
    }

    static ApiKeys apiOf(String name) {
        switch (name) {
            case "JoinGroup": return ApiKeys.JOIN_GROUP;
            case "SyncGroup": return ApiKeys.SYNC_GROUP;
            case "Heartbeat": return ApiKeys.HEARTBEAT;
            case "LeaveGroup": return ApiKeys.LEAVE_GROUP;
            case "OffsetCommit": return ApiKeys.OFFSET_COMMIT;
            default: throw new IllegalArgumentException("unknown api " + name);
        }
    }

    // ------------------------------------------------------------------ operations

    Client client(JsonNode op) {
        int i = op.get("c").asInt();
        Client c = clients.get(i);
        if (c == null || !c.alive) throw new IllegalArgumentException("consumer " + i + " is not running");
        return c;
    }

    /** Run a Kafka call; an exception Kafka throws to the application is part of the answer. */
    static String attempt(Runnable r) {
        try {
            r.run();
            return null;
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    ObjectNode handle(JsonNode op) {
        String name = op.get("op").asText();
        String thrown = null;
        ObjectNode extra = JSON.createObjectNode();
        switch (name) {
            case "reset": {
                partitions = op.path("partitions").asInt(2);
                assignorName = op.path("assignor").asText("range");
                if (op.has("timeouts")) {
                    timeouts = new ArrayList<>();
                    for (JsonNode t : op.get("timeouts")) timeouts.add(t.asInt());
                }
                for (Client c : clients) if (c != null) c.metrics.close();
                clients.clear();
                int n = op.path("consumers").asInt(2);
                for (int i = 0; i < n; i++) clients.add(new Client(i, 0));
                // the spec's consumers start knowing the coordinator (broker 0)
                for (Client c : clients) findCoordinator(c, op.path("coordinator").asInt(0));
                extra.put("kafka_version", AppInfoParser.getVersion());
                break;
            }
            case "start": {
                int i = op.get("c").asInt();
                clients.set(i, new Client(i, op.path("timeout").asInt(0)));
                break;
            }
            case "crash": {
                Client c = client(op);
                c.alive = false;
                c.metrics.close();
                break;
            }
            case "find": {
                Client c = client(op);
                thrown = attempt(() -> findCoordinator(c, op.get("node").asInt()));
                break;
            }
            case "poll": {
                Client c = client(op);
                thrown = attempt(() -> c.coordinator.poll(c.time.timer(0), true));
                c.collect();
                break;
            }
            case "respond": {
                Client c = client(op);
                ApiKeys api = apiOf(op.get("api").asText());
                Integer corr = op.has("id") ? op.get("id").asInt() : null;
                ClientRequest r = c.request(api, corr);
                if (r == null) {
                    extra.put("no_request", true);
                    break;
                }
                if (op.path("disconnect").asBoolean(false)) {
                    c.mock.disconnect(r.destination());
                    c.inFlight.remove(r);
                } else {
                    c.respond(r, buildResponse(c, api, op));
                }
                String how = op.path("then").asText("poll");
                if (how.equals("poll")) {
                    thrown = attempt(() -> c.coordinator.poll(c.time.timer(0), true));
                } else {
                    thrown = attempt(() -> {
                        c.pollNetwork();
                        GdslAccess.invokeCommitCallbacks(c.coordinator);
                    });
                }
                c.collect();
                break;
            }
            case "heartbeat": {
                Client c = client(op);
                AtomicReference<RuntimeException> outcome = new AtomicReference<>();
                GdslAccess.sendHeartbeat(c.coordinator, outcome);
                c.pollNetwork();
                ClientRequest r = c.request(ApiKeys.HEARTBEAT, null);
                if (r == null) {
                    extra.put("no_request", true);
                    break;
                }
                extra.set("request", describe(r, c));
                c.respond(r, buildResponse(c, ApiKeys.HEARTBEAT, op));
                thrown = attempt(c::pollNetwork);
                break;
            }
            case "commit": {
                Client c = client(op);
                Map<TopicPartition, OffsetAndMetadata> offsets = new TreeMap<>((a, b) -> a.partition() - b.partition());
                op.get("offsets").fields().forEachRemaining(e ->
                    offsets.put(new TopicPartition(TOPIC, Integer.parseInt(e.getKey())), new OffsetAndMetadata(e.getValue().asLong())));
                thrown = attempt(() -> c.coordinator.commitOffsetsAsync(new HashMap<>(offsets), (o, e) -> {
                    ObjectNode ev = JSON.createObjectNode();
                    ev.put("kind", "commit");
                    ev.put("error", e == null ? "NONE" : e.getClass().getSimpleName());
                    c.events.add(ev);
                }));
                c.pollNetwork();
                break;
            }
            case "poll_timeout": {
                Client c = client(op);
                thrown = attempt(() -> GdslAccess.pollTimeoutExpired(c.coordinator));
                c.collect();
                break;
            }
            case "close": {
                Client c = client(op);
                thrown = attempt(() -> GdslAccess.close(c.coordinator, c.time.timer(0)));
                c.collect();
                extra.set("closing", abstractionWithRequests(c));
                c.alive = false;
                c.metrics.close();
                break;
            }
            case "grow": {
                partitions = op.get("partitions").asInt();
                for (Client c : clients) {
                    if (c.alive) c.mock.updateMetadata(RequestTestUtils.metadataUpdateWith(brokers, Map.of(TOPIC, partitions)));
                }
                break;
            }
            case "fetch_offsets": {
                // ConsumerCoordinator.fetchCommittedOffsets for the owned partitions, answered
                // with a group-level error (what the spec's FetchOffsets does with NOT_COORDINATOR)
                Client c = client(op);
                Set<TopicPartition> parts = c.subscriptions.assignedPartitions();
                thrown = attempt(() -> c.coordinator.fetchCommittedOffsets(parts, c.time.timer(0)));
                ClientRequest r = c.request(ApiKeys.OFFSET_FETCH, null);
                if (r == null) {
                    extra.put("no_request", true);
                    break;
                }
                Errors error = Errors.valueOf(op.path("error").asText("NONE"));
                c.respond(r, new OffsetFetchResponse.Builder(new OffsetFetchResponseData.OffsetFetchResponseGroup()
                    .setGroupId(GROUP).setErrorCode(error.code())).build(ApiKeys.OFFSET_FETCH.latestVersion()));
                String t2 = attempt(c::pollNetwork);
                if (thrown == null) thrown = t2;
                break;
            }
            case "notice": {
                Client c = client(op);
                thrown = attempt(() -> GdslAccess.noticeMetadata(c.coordinator));
                break;
            }
            case "state":
                break;
            default:
                throw new IllegalArgumentException("unknown op " + name);
        }
        ObjectNode out = answer();
        out.setAll(extra);
        if (thrown != null) out.put("exception", thrown);
        return out;
    }

    ObjectNode abstractionWithRequests(Client c) {
        ObjectNode o = abstraction(c, false);
        ArrayNode rs = o.putArray("requests");
        for (ClientRequest r : c.inFlight) rs.add(describe(r, c));
        return o;
    }

    /** FindCoordinator to completion: Kafka sends it to some broker, which names broker `node`. */
    void findCoordinator(Client c, int node) {
        GdslAccess.ensureCoordinatorReady(c.coordinator, c.time.timer(0));
        ClientRequest r = c.request(ApiKeys.FIND_COORDINATOR, null);
        if (r == null) throw new IllegalStateException("no FindCoordinator request in flight");
        c.respond(r, FindCoordinatorResponse.prepareResponse(Errors.NONE, GROUP, new Node(node, "broker" + node, 9092)));
        GdslAccess.ensureCoordinatorReady(c.coordinator, c.time.timer(0));
        c.collect();
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err);       // anything Kafka prints must not corrupt the protocol
        ClientHarness h = new ClientHarness();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            ObjectNode answer;
            try {
                answer = h.handle(JSON.readTree(line));
            } catch (Throwable e) {
                StringWriter sw = new StringWriter();
                e.printStackTrace(new PrintWriter(sw));
                answer = JSON.createObjectNode();
                answer.put("crash", sw.toString());
            }
            out.println(JSON.writeValueAsString(answer));
        }
    }
}
