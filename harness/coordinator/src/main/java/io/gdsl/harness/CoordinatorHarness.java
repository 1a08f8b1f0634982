package io.gdsl.harness;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.network.ClientInformation;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.coordinator.common.runtime.CoordinatorExecutor;
import org.apache.kafka.coordinator.common.runtime.CoordinatorMetadataDelta;
import org.apache.kafka.coordinator.common.runtime.CoordinatorMetadataImage;
import org.apache.kafka.coordinator.common.runtime.CoordinatorOperationExceptionHelper;
import org.apache.kafka.coordinator.common.runtime.CoordinatorRecord;
import org.apache.kafka.coordinator.common.runtime.CoordinatorResult;
import org.apache.kafka.coordinator.group.GroupConfigManager;
import org.apache.kafka.coordinator.group.GroupCoordinatorConfig;
import org.apache.kafka.coordinator.group.GroupCoordinatorShard;
import org.apache.kafka.coordinator.group.GroupMetadataManager;
import org.apache.kafka.coordinator.group.classic.ClassicGroup;
import org.apache.kafka.coordinator.group.classic.ClassicGroupMember;
import org.apache.kafka.coordinator.group.generated.GroupMetadataKey;
import org.apache.kafka.coordinator.group.generated.GroupMetadataValue;
import org.apache.kafka.coordinator.group.generated.OffsetCommitKey;
import org.apache.kafka.coordinator.group.generated.OffsetCommitValue;
import org.apache.kafka.coordinator.group.metrics.GroupCoordinatorMetrics;
import org.apache.kafka.coordinator.group.modern.share.ShareGroupConfig;
import org.apache.kafka.server.common.ApiMessageAndVersion;
import org.apache.kafka.timeline.SnapshotRegistry;

import com.yammer.metrics.core.MetricsRegistry;

/**
 * Apache Kafka's classic-group coordinator (GroupCoordinatorShard of the published
 * kafka-group-coordinator jar) run in-process and driven step by step over JSON lines.
 *
 * What stands in for the broker around the shard, written for this harness after
 * Kafka's CoordinatorRuntime and GroupCoordinatorService:
 *  - write operations: the runtime's snapshot, replay of the records the result asks
 *    to replay, and the append to the partition's log; the operation's response (and
 *    its appendFuture) completes when its records commit, a response without records
 *    when every earlier write has committed (CoordinatorRuntime's deferred events);
 *    futures the shard completes itself (JoinGroup, SyncGroup) complete at once;
 *  - appends commit at once ("auto"), or wait until the driver commits or fails them;
 *  - a failed write or failed append reverts the timeline to the last committed offset
 *    and answers through CoordinatorOperationExceptionHelper.handleOperationException,
 *    as GroupCoordinatorService does;
 *  - failover: the shard is unloaded (parked requests answered NOT_COORDINATOR by
 *    GroupMetadataManager.onUnloaded, uncommitted writes failed NOT_COORDINATOR, timers
 *    cancelled); requests to the old epoch are answered NOT_COORDINATOR; until the
 *    driver says "load", the new coordinator answers as GroupCoordinatorService does
 *    for a loading partition (COORDINATOR_LOAD_IN_PROGRESS; a heartbeat NONE); "load"
 *    builds a fresh shard, replays the committed records and calls onLoaded.
 */
public final class CoordinatorHarness {
    static final String GROUP = "group";
    static final String TOPIC = "topic";
    static final Uuid TOPIC_ID = Uuid.fromString("AAAAAAAAAAAAAAAAAAAAAQ");
    static final ObjectMapper JSON = new ObjectMapper();

    // ---- configuration (init)
    int partitions = 2;
    int initialDelayMs = 3000;
    boolean autoCommit = true;

    // ---- the broker around the shard
    DetTime time;
    KeyedTimer timer;
    SnapshotRegistry snapshots;
    GroupCoordinatorShard shard;
    GroupMetadataManager groups;
    int epoch;
    boolean loading;
    final List<CoordinatorRecord> log = new ArrayList<>();   // offsets 0..; committed prefix
    long lastWritten;
    long lastCommitted;
    final List<Deferred> deferred = new ArrayList<>();
    List<ObjectNode> out = new ArrayList<>();

    static final class Deferred {
        final long offset;
        final Runnable onCommit;
        final Consumer<Throwable> onFail;

        Deferred(long offset, Runnable onCommit, Consumer<Throwable> onFail) {
            this.offset = offset;
            this.onCommit = onCommit;
            this.onFail = onFail;
        }
    }

    public static void main(String[] args) throws Exception {
        CoordinatorHarness h = new CoordinatorHarness();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream stdout = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            ObjectNode answer;
            try {
                answer = h.handle((ObjectNode) JSON.readTree(line));
            } catch (Throwable t) {
                answer = JSON.createObjectNode();
                answer.put("crash", summary(t));
            }
            stdout.println(JSON.writeValueAsString(answer));
        }
    }

    static String summary(Throwable t) {
        StringBuilder b = new StringBuilder(t.toString());
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(8, st.length); i++) b.append(" | at ").append(st[i]);
        if (t.getCause() != null && t.getCause() != t) b.append(" | caused by ").append(summary(t.getCause()));
        return b.toString();
    }

    // ------------------------------------------------------------------ dispatch

    ObjectNode handle(ObjectNode op) throws Exception {
        out = new ArrayList<>();
        String kind = op.path("op").asText();
        ObjectNode answer = JSON.createObjectNode();
        switch (kind) {
            case "init" -> {
                partitions = op.path("partitions").asInt(2);
                initialDelayMs = op.path("initialDelayMs").asInt(3000);
                autoCommit = op.path("autoCommit").asBoolean(true);
                epoch = 0;
                loading = false;
                log.clear();
                deferred.clear();
                lastWritten = lastCommitted = 0;
                time = new DetTime();
                newShard();
                shard.onLoaded(image());
                answer.put("kafka_version", AppInfoParser.getVersion());
                answer.put("kafka_commit", AppInfoParser.getCommitId());
            }
            case "join" -> join(op);
            case "sync" -> sync(op);
            case "heartbeat" -> heartbeat(op);
            case "leave" -> leave(op);
            case "commit" -> commit(op);
            case "fetch" -> fetch(op);
            case "fire" -> answer.put("fired", fire(op.path("key").asText()));
            case "fire_join" -> answer.put("fired", fireJoin());
            case "advance" -> time.sleep(op.path("ms").asLong());
            case "grow" -> {
                partitions += op.path("by").asInt(1);
                if (!loading) groups.onMetadataUpdate(CoordinatorMetadataDelta.EMPTY, image());
            }
            case "appends" -> autoCommit = op.path("mode").asText("auto").equals("auto");
            case "commit_appends" -> commitAppends();
            case "fail_appends" -> failAppends(Errors.forCode((short) Errors.valueOf(
                op.path("error").asText("NOT_ENOUGH_REPLICAS")).code()));
            case "failover" -> failover();
            case "load" -> load();
            case "state" -> { }
            default -> throw new IllegalArgumentException("unknown op " + kind);
        }
        if (autoCommit) commitAppends();
        ArrayNode rs = answer.putArray("responses");
        out.forEach(rs::add);
        answer.set("state", state());
        return answer;
    }

    // ------------------------------------------------------------------ the shard

    GroupCoordinatorConfig config() {
        Map<String, Object> props = new HashMap<>();
        props.put(GroupCoordinatorConfig.GROUP_INITIAL_REBALANCE_DELAY_MS_CONFIG, initialDelayMs);
        props.put(GroupCoordinatorConfig.GROUP_MIN_SESSION_TIMEOUT_MS_CONFIG, 6000);
        props.put(GroupCoordinatorConfig.GROUP_MAX_SESSION_TIMEOUT_MS_CONFIG, 1_800_000);
        props.put(GroupCoordinatorConfig.OFFSETS_TOPIC_PARTITIONS_CONFIG, 1);
        return GroupCoordinatorConfig.fromProps(props);
    }

    void newShard() throws Exception {
        LogContext logContext = new LogContext("[harness] ");
        snapshots = new SnapshotRegistry(logContext);
        timer = new KeyedTimer(time);
        GroupCoordinatorConfig config = config();
        ShareGroupConfig shareConfig = ShareGroupConfig.fromProps(Map.of());
        GroupConfigManager groupConfigs = new GroupConfigManager(Map.of(), config, shareConfig);
        CoordinatorExecutor<CoordinatorRecord> executor = new CoordinatorExecutor<>() {
            @Override
            public <R> boolean schedule(String key, TaskRunnable<R> task, TaskOperation<CoordinatorRecord, R> operation) {
                throw new UnsupportedOperationException("executor task " + key + ": not used by classic groups");
            }

            @Override
            public boolean isScheduled(String key) {
                return false;
            }

            @Override
            public void cancel(String key) { }
        };
        GroupCoordinatorShard.Builder builder = new GroupCoordinatorShard.Builder(config, groupConfigs);
        builder.withAuthorizerPlugin(Optional.empty());
        shard = builder
            .withLogContext(logContext)
            .withSnapshotRegistry(snapshots)
            .withTime(time)
            .withTimer(timer)
            .withExecutor(executor)
            .withCoordinatorMetrics(new GroupCoordinatorMetrics(new MetricsRegistry(), new Metrics()))
            .withTopicPartition(new TopicPartition("__consumer_offsets", 0))
            .build();
        Field f = GroupCoordinatorShard.class.getDeclaredField("groupMetadataManager");
        f.setAccessible(true);
        groups = (GroupMetadataManager) f.get(shard);
        snapshots.idempotentCreateSnapshot(lastWritten);
    }

    CoordinatorMetadataImage image() {
        int n = partitions;
        CoordinatorMetadataImage.TopicMetadata topic = new CoordinatorMetadataImage.TopicMetadata() {
            public String name() { return TOPIC; }
            public Uuid id() { return TOPIC_ID; }
            public int partitionCount() { return n; }
            public List<String> partitionRacks(int partitionId) { return List.of(); }
        };
        long version = n;
        return new CoordinatorMetadataImage() {
            public Set<Uuid> topicIds() { return Set.of(TOPIC_ID); }
            public Set<String> topicNames() { return Set.of(TOPIC); }
            public Optional<TopicMetadata> topicMetadata(String name) {
                return TOPIC.equals(name) ? Optional.of(topic) : Optional.empty();
            }
            public Optional<TopicMetadata> topicMetadata(Uuid id) {
                return TOPIC_ID.equals(id) ? Optional.of(topic) : Optional.empty();
            }
            public CoordinatorMetadataDelta emptyDelta() { return CoordinatorMetadataDelta.EMPTY; }
            public long version() { return version; }
            public boolean isEmpty() { return false; }
        };
    }

    /**
     * One write operation as CoordinatorRuntime runs it: on an exception the timeline
     * goes back to where the operation started and onError answers.
     */
    <T> void write(Supplier<CoordinatorResult<T, CoordinatorRecord>> op, Consumer<T> onResponse,
                   Consumer<Throwable> onError) {
        long start = lastWritten;
        snapshots.idempotentCreateSnapshot(start);
        CoordinatorResult<T, CoordinatorRecord> result;
        try {
            result = op.get();
            if (result.replayRecords()) {
                long offset = start;
                for (CoordinatorRecord r : result.records()) shard.replay(offset++, -1L, (short) -1, r);
            }
        } catch (Throwable t) {
            snapshots.revertToSnapshot(start);
            onError.accept(t);
            return;
        }
        log.addAll(result.records());
        lastWritten = start + result.records().size();
        snapshots.idempotentCreateSnapshot(lastWritten);
        CompletableFuture<Void> append = result.appendFuture();
        T response = result.response();
        deferred.add(new Deferred(lastWritten, () -> {
            if (append != null) append.complete(null);
            if (onResponse != null) onResponse.accept(response);
        }, t -> {
            if (append != null) append.completeExceptionally(t);
            onError.accept(t);
        }));
        completeCommitted();
    }

    void completeCommitted() {
        while (!deferred.isEmpty() && deferred.get(0).offset <= lastCommitted) {
            deferred.remove(0).onCommit.run();
        }
    }

    void commitAppends() {
        if (lastCommitted < lastWritten) {
            lastCommitted = lastWritten;
            snapshots.deleteSnapshotsUpTo(lastCommitted);
        }
        completeCommitted();
    }

    void failAppends(Errors error) {
        if (lastWritten > lastCommitted) {
            snapshots.revertToSnapshot(lastCommitted);
            while (log.size() > lastCommitted) log.remove(log.size() - 1);
            lastWritten = lastCommitted;
        }
        List<Deferred> failed = new ArrayList<>(deferred);
        deferred.clear();
        failed.forEach(d -> d.onFail.accept(error.exception()));
    }

    boolean fire(String key) {
        KeyedTimer.Scheduled s = timer.take(key);
        if (s == null || loading) return false;
        write(() -> {
            try {
                return s.operation.generateRecords();
            } catch (RuntimeException e) {
                if (s.retry) timer.schedule(key, s.retryBackoffMs, java.util.concurrent.TimeUnit.MILLISECONDS,
                    true, s.retryBackoffMs, s.operation);
                throw e;
            }
        }, null, t -> { });
        return true;
    }

    /** The join timer until it completes the join phase (the initial delay may extend itself). */
    int fireJoin() {
        String key = "join-" + GROUP;
        int fired = 0;
        while (fired < 20 && timer.isScheduled(key)) {
            fire(key);
            fired++;
        }
        return fired;
    }

    void failover() {
        if (!loading) {
            failAppends(Errors.NOT_COORDINATOR);
            groups.onUnloaded();
            shard.onUnloaded();
            timer.cancelAll();
        }
        epoch++;
        loading = true;
    }

    void load() throws Exception {
        if (!loading) return;
        while (log.size() > lastCommitted) log.remove(log.size() - 1);
        lastWritten = 0;
        newShard();
        long offset = 0;
        for (CoordinatorRecord r : log) shard.replay(offset++, -1L, (short) -1, r);
        lastWritten = lastCommitted = offset;
        snapshots.idempotentCreateSnapshot(lastWritten);
        snapshots.deleteSnapshotsUpTo(lastCommitted);
        shard.onLoaded(image());
        loading = false;
    }

    // ------------------------------------------------------------------ requests

    static RequestContext context(ApiKeys api, int version, String clientId) {
        return new RequestContext(new RequestHeader(api, (short) version, clientId, 0), "1",
            InetAddress.getLoopbackAddress(), KafkaPrincipal.ANONYMOUS,
            ListenerName.forSecurityProtocol(SecurityProtocol.PLAINTEXT), SecurityProtocol.PLAINTEXT,
            ClientInformation.EMPTY, false);
    }

    ObjectNode reply(JsonNode op, String api, Errors error) {
        ObjectNode r = JSON.createObjectNode();
        r.set("id", op.get("id"));
        r.put("api", api);
        r.put("error", error.name());
        return r;
    }

    void answer(ObjectNode r) {
        out.add(r);
    }

    /** The service layer's answer before the shard: wrong coordinator, or still loading. */
    Errors serviceError(JsonNode op) {
        if (op.path("epoch").asInt(epoch) != epoch) return Errors.NOT_COORDINATOR;
        if (loading) return Errors.COORDINATOR_LOAD_IN_PROGRESS;
        return Errors.NONE;
    }

    Errors errorOf(Throwable t) {
        return CoordinatorOperationExceptionHelper.handleOperationException("harness", null, t,
            (e, msg) -> e, org.slf4j.LoggerFactory.getLogger(CoordinatorHarness.class));
    }

    static String instance(JsonNode op) {
        JsonNode i = op.get("instance");
        return i == null || i.isNull() ? null : i.asText();
    }

    static byte[] subscription(JsonNode meta) {
        List<TopicPartition> owned = new ArrayList<>();
        for (JsonNode p : meta.path("owned")) owned.add(new TopicPartition(TOPIC, p.asInt()));
        ConsumerPartitionAssignor.Subscription s = new ConsumerPartitionAssignor.Subscription(
            List.of(TOPIC), null, owned, meta.path("gen").asInt(-1), Optional.empty());
        ByteBuffer b = ConsumerProtocol.serializeSubscription(s);
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }

    static ObjectNode decodeSubscription(byte[] bytes) {
        ObjectNode n = JSON.createObjectNode();
        if (bytes == null || bytes.length == 0) return n;
        ConsumerPartitionAssignor.Subscription s = ConsumerProtocol.deserializeSubscription(ByteBuffer.wrap(bytes));
        ArrayNode owned = n.putArray("owned");
        new TreeSet<>(s.ownedPartitions().stream().map(TopicPartition::partition).toList()).forEach(owned::add);
        n.put("gen", s.generationId().orElse(-1));
        return n;
    }

    static byte[] assignment(JsonNode parts) {
        List<TopicPartition> tps = new ArrayList<>();
        for (JsonNode p : parts) tps.add(new TopicPartition(TOPIC, p.asInt()));
        ByteBuffer b = ConsumerProtocol.serializeAssignment(new ConsumerPartitionAssignor.Assignment(tps));
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        return bytes;
    }

    static ArrayNode decodeAssignment(byte[] bytes) {
        ArrayNode a = JSON.createArrayNode();
        if (bytes == null || bytes.length == 0) return a;
        new TreeSet<>(ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(bytes)).partitions().stream()
            .map(TopicPartition::partition).toList()).forEach(a::add);
        return a;
    }

    void join(JsonNode op) {
        Errors pre = serviceError(op);
        if (pre != Errors.NONE) {
            answer(reply(op, "JoinGroup", pre));
            return;
        }
        String protocol = op.path("protocol").asText("range");
        JoinGroupRequestData.JoinGroupRequestProtocolCollection protocols =
            new JoinGroupRequestData.JoinGroupRequestProtocolCollection();
        protocols.add(new JoinGroupRequestData.JoinGroupRequestProtocol()
            .setName(protocol).setMetadata(subscription(op.path("meta"))));
        JoinGroupRequestData request = new JoinGroupRequestData()
            .setGroupId(GROUP)
            .setMemberId(op.path("member").asText(""))
            .setGroupInstanceId(instance(op))
            .setProtocolType(ConsumerProtocol.PROTOCOL_TYPE)
            .setProtocols(protocols)
            .setSessionTimeoutMs(op.path("sessionTimeoutMs").asInt(45000))
            .setRebalanceTimeoutMs(op.path("rebalanceTimeoutMs").asInt(300000))
            .setReason(op.path("reason").asText(null));
        CompletableFuture<JoinGroupResponseData> future = new CompletableFuture<>();
        future.whenComplete((resp, t) -> {
            ObjectNode r = reply(op, "JoinGroup", t != null ? errorOf(t) : Errors.forCode(resp.errorCode()));
            if (resp != null) {
                r.put("member", resp.memberId());
                r.put("generation", resp.generationId());
                r.put("leader", resp.leader());
                r.put("protocol", resp.protocolName());
                r.put("skipAssignment", resp.skipAssignment());
                ArrayNode ms = r.putArray("members");
                for (JoinGroupResponseData.JoinGroupResponseMember m : resp.members()) {
                    ObjectNode mn = ms.addObject();
                    mn.put("member", m.memberId());
                    mn.put("instance", m.groupInstanceId());
                    mn.set("meta", decodeSubscription(m.metadata()));
                }
            }
            answer(r);
        });
        RequestContext ctx = context(ApiKeys.JOIN_GROUP, op.path("version").asInt(9), op.path("client").asText("client"));
        write(() -> shard.classicGroupJoin(ctx, request, future), null, t -> {
            if (!future.isDone()) future.complete(new JoinGroupResponseData().setErrorCode(errorOf(t).code()));
        });
    }

    void sync(JsonNode op) {
        Errors pre = serviceError(op);
        if (pre != Errors.NONE) {
            answer(reply(op, "SyncGroup", pre));
            return;
        }
        List<SyncGroupRequestData.SyncGroupRequestAssignment> assignments = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = op.path("assignment").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            assignments.add(new SyncGroupRequestData.SyncGroupRequestAssignment()
                .setMemberId(e.getKey()).setAssignment(assignment(e.getValue())));
        }
        SyncGroupRequestData request = new SyncGroupRequestData()
            .setGroupId(GROUP)
            .setMemberId(op.path("member").asText(""))
            .setGenerationId(op.path("generation").asInt(-1))
            .setGroupInstanceId(instance(op))
            .setProtocolType(ConsumerProtocol.PROTOCOL_TYPE)
            .setProtocolName(op.path("protocol").asText("range"))
            .setAssignments(assignments);
        CompletableFuture<SyncGroupResponseData> future = new CompletableFuture<>();
        future.whenComplete((resp, t) -> {
            ObjectNode r = reply(op, "SyncGroup", t != null ? errorOf(t) : Errors.forCode(resp.errorCode()));
            if (resp != null) r.set("assignment", decodeAssignment(resp.assignment()));
            answer(r);
        });
        RequestContext ctx = context(ApiKeys.SYNC_GROUP, op.path("version").asInt(5), op.path("client").asText("client"));
        write(() -> shard.classicGroupSync(ctx, request, future), null, t -> {
            if (!future.isDone()) future.complete(new SyncGroupResponseData().setErrorCode(errorOf(t).code()));
        });
    }

    void heartbeat(JsonNode op) {
        Errors pre = serviceError(op);
        if (pre != Errors.NONE) {
            // GroupCoordinatorService.heartbeat: "The group is still loading, so blindly respond" NONE.
            answer(reply(op, "Heartbeat", pre == Errors.COORDINATOR_LOAD_IN_PROGRESS ? Errors.NONE : pre));
            return;
        }
        HeartbeatRequestData request = new HeartbeatRequestData()
            .setGroupId(GROUP)
            .setMemberId(op.path("member").asText(""))
            .setGenerationId(op.path("generation").asInt(-1))
            .setGroupInstanceId(instance(op));
        RequestContext ctx = context(ApiKeys.HEARTBEAT, 4, op.path("client").asText("client"));
        write(() -> shard.classicGroupHeartbeat(ctx, request),
            (HeartbeatResponseData resp) -> answer(reply(op, "Heartbeat", Errors.forCode(resp.errorCode()))),
            t -> {
                Errors e = errorOf(t);
                answer(reply(op, "Heartbeat", e == Errors.COORDINATOR_LOAD_IN_PROGRESS ? Errors.NONE : e));
            });
    }

    void leave(JsonNode op) {
        Errors pre = serviceError(op);
        if (pre != Errors.NONE) {
            answer(reply(op, "LeaveGroup", pre));
            return;
        }
        LeaveGroupRequestData request = new LeaveGroupRequestData()
            .setGroupId(GROUP)
            .setMembers(List.of(new LeaveGroupRequestData.MemberIdentity()
                .setMemberId(op.path("member").asText(""))
                .setGroupInstanceId(instance(op))));
        RequestContext ctx = context(ApiKeys.LEAVE_GROUP, 5, op.path("client").asText("client"));
        write(() -> shard.classicGroupLeave(ctx, request),
            (LeaveGroupResponseData resp) -> {
                ObjectNode r = reply(op, "LeaveGroup", Errors.forCode(resp.errorCode()));
                ArrayNode ms = r.putArray("members");
                resp.members().forEach(m -> ms.addObject().put("member", m.memberId())
                    .put("error", Errors.forCode(m.errorCode()).name()));
                answer(r);
            },
            t -> answer(reply(op, "LeaveGroup", errorOf(t))));
    }

    void commit(JsonNode op) {
        Errors pre = serviceError(op);
        if (pre != Errors.NONE) {
            answer(reply(op, "OffsetCommit", pre));
            return;
        }
        OffsetCommitRequestData.OffsetCommitRequestTopic topic = new OffsetCommitRequestData.OffsetCommitRequestTopic()
            .setName(TOPIC);
        Iterator<Map.Entry<String, JsonNode>> it = op.path("offsets").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            topic.partitions().add(new OffsetCommitRequestData.OffsetCommitRequestPartition()
                .setPartitionIndex(Integer.parseInt(e.getKey())).setCommittedOffset(e.getValue().asLong()));
        }
        OffsetCommitRequestData request = new OffsetCommitRequestData()
            .setGroupId(GROUP)
            .setMemberId(op.path("member").asText(""))
            .setGenerationIdOrMemberEpoch(op.path("generation").asInt(-1))
            .setGroupInstanceId(instance(op))
            .setTopics(List.of(topic));
        RequestContext ctx = context(ApiKeys.OFFSET_COMMIT, 9, op.path("client").asText("client"));
        write(() -> shard.commitOffset(ctx, request),
            (OffsetCommitResponseData resp) -> {
                Errors e = Errors.NONE;
                for (OffsetCommitResponseData.OffsetCommitResponseTopic t : resp.topics())
                    for (OffsetCommitResponseData.OffsetCommitResponsePartition p : t.partitions())
                        if (p.errorCode() != 0) e = Errors.forCode(p.errorCode());
                answer(reply(op, "OffsetCommit", e));
            },
            t -> answer(reply(op, "OffsetCommit", errorOf(t))));
    }

    void fetch(JsonNode op) {
        Errors pre = serviceError(op);
        if (pre != Errors.NONE) {
            answer(reply(op, "OffsetFetch", pre));
            return;
        }
        List<Integer> parts = new ArrayList<>();
        for (JsonNode p : op.path("partitions")) parts.add(p.asInt());
        OffsetFetchRequestData.OffsetFetchRequestGroup request = new OffsetFetchRequestData.OffsetFetchRequestGroup()
            .setGroupId(GROUP)
            .setTopics(List.of(new OffsetFetchRequestData.OffsetFetchRequestTopics()
                .setName(TOPIC).setPartitionIndexes(parts)));
        ObjectNode r;
        try {
            // A read operation: at the last committed offset (CoordinatorRuntime.scheduleReadOperation).
            OffsetFetchResponseData.OffsetFetchResponseGroup resp = shard.fetchOffsets(request, lastCommitted);
            r = reply(op, "OffsetFetch", Errors.forCode(resp.errorCode()));
            ObjectNode offsets = r.putObject("offsets");
            for (OffsetFetchResponseData.OffsetFetchResponseTopics t : resp.topics())
                for (OffsetFetchResponseData.OffsetFetchResponsePartitions p : t.partitions())
                    if (p.errorCode() == 0 && p.committedOffset() >= 0)
                        offsets.put(Integer.toString(p.partitionIndex()), p.committedOffset());
        } catch (Throwable t) {
            r = reply(op, "OffsetFetch", errorOf(t));
        }
        answer(r);
    }

    // ------------------------------------------------------------------ the state abstraction

    ObjectNode state() {
        ObjectNode s = JSON.createObjectNode();
        s.put("epoch", epoch);
        s.put("loading", loading);
        s.put("partitions", partitions);
        s.set("group", loading ? null : group());
        persistedAndCommitted(s);
        ArrayNode ts = s.putArray("timers");
        for (KeyedTimer.Scheduled t : timer.all()) ts.addObject().put("key", t.key).put("deadline", t.deadlineMs - time.milliseconds());
        ObjectNode a = s.putObject("appends");
        a.put("written", lastWritten);
        a.put("committed", lastCommitted);
        a.put("waiting", deferred.size());
        a.put("mode", autoCommit ? "auto" : "hold");
        return s;
    }

    @SuppressWarnings("unchecked")
    ObjectNode group() {
        ClassicGroup g;
        try {
            g = groups.classicGroup(GROUP, Long.MAX_VALUE);
        } catch (Exception e) {
            try {
                g = (ClassicGroup) groups.group(GROUP);
            } catch (Exception e2) {
                return null;
            }
        }
        ObjectNode n = JSON.createObjectNode();
        n.put("state", g.currentState().toString());
        n.put("generation", g.generationId());
        n.put("leader", g.leaderOrNull());
        n.put("protocol", g.protocolName().orElse(null));
        ArrayNode ms = n.putArray("members");
        List<ClassicGroupMember> members = new ArrayList<>(g.allMembers());
        members.sort((x, y) -> x.memberId().compareTo(y.memberId()));
        for (ClassicGroupMember m : members) {
            ObjectNode mn = ms.addObject();
            mn.put("member", m.memberId());
            mn.put("instance", m.groupInstanceId().orElse(null));
            mn.put("awaitingJoin", m.isAwaitingJoin());
            mn.put("awaitingSync", m.isAwaitingSync());
            mn.put("isNew", m.isNew());
            mn.put("rebalanceTimeoutMs", m.rebalanceTimeoutMs());
            mn.put("sessionTimeoutMs", m.sessionTimeoutMs());
            byte[] meta = g.protocolName().isPresent() ? m.metadata(g.protocolName().get())
                : m.supportedProtocols().iterator().next().metadata();
            mn.set("meta", decodeSubscription(meta));
            mn.set("assignment", decodeAssignment(m.assignment()));
        }
        try {
            Field pf = ClassicGroup.class.getDeclaredField("pendingJoinMembers");
            pf.setAccessible(true);
            ArrayNode pending = n.putArray("pending");
            new TreeSet<>((Set<String>) pf.get(g)).forEach(pending::add);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        ArrayNode ps = n.putArray("pendingSync");
        new TreeSet<>(g.allPendingSyncMembers()).forEach(ps::add);
        return n;
    }

    /** The last GroupMetadata record and the offsets among the committed records. */
    void persistedAndCommitted(ObjectNode s) {
        GroupMetadataValue last = null;
        boolean seen = false;
        TreeMap<Integer, Long> offsets = new TreeMap<>();
        for (int i = 0; i < lastCommitted && i < log.size(); i++) {
            CoordinatorRecord r = log.get(i);
            ApiMessage key = r.key();
            ApiMessageAndVersion value = r.value();
            if (key instanceof GroupMetadataKey) {
                seen = true;
                last = value == null ? null : (GroupMetadataValue) value.message();
            } else if (key instanceof OffsetCommitKey k) {
                if (value == null) offsets.remove(k.partition());
                else offsets.put(k.partition(), ((OffsetCommitValue) value.message()).offset());
            }
        }
        if (!seen || last == null) {
            s.putNull("persisted");
        } else {
            ObjectNode p = s.putObject("persisted");
            p.put("generation", last.generation());
            p.put("leader", last.leader());
            p.put("protocol", last.protocol());
            ArrayNode ms = p.putArray("members");
            for (GroupMetadataValue.MemberMetadata m : last.members()) {
                ObjectNode mn = ms.addObject();
                mn.put("member", m.memberId());
                mn.put("instance", m.groupInstanceId());
                mn.put("rebalanceTimeoutMs", m.rebalanceTimeout());
                mn.set("meta", decodeSubscription(m.subscription()));
                mn.set("assignment", decodeAssignment(m.assignment()));
            }
        }
        ObjectNode c = s.putObject("committed");
        offsets.forEach((k, v) -> c.put(Integer.toString(k), v));
    }
}
