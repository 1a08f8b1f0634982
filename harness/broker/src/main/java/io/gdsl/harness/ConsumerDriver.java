package io.gdsl.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * One Java KafkaConsumer (classic group protocol) driven over JSON lines: the first line on
 * stdin is its configuration, later lines are operations; it prints events on stdout, each
 * stamped with System.nanoTime() (CLOCK_MONOTONIC, Python's time.monotonic()).
 *
 * <p>The consumer is used from one thread only, as KafkaConsumer requires: the main thread
 * polls every 50 ms and runs the operations that a reader thread queues between polls.
 * Operations: commit (the positions of the assigned partitions once they reach `records`),
 * fetch (the committed offsets of partitions 0..n-1), stop_polling / resume, close.
 * Events: ready, assign / revoke / lost (the rebalance listener), assignor (the leader entered
 * its assignor: SlowAssignor), commit, fetch, closed, error.
 */
public final class ConsumerDriver {
    static final ObjectMapper JSON = new ObjectMapper();
    static final PrintStream OUT = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true,
            StandardCharsets.UTF_8);

    static synchronized void emit(String kind, Map<String, Object> fields) {
        ObjectNode node = JSON.createObjectNode();
        node.put("t", System.nanoTime() / 1e9);
        node.put("kind", kind);
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            node.set(e.getKey(), JSON.valueToTree(e.getValue()));
        }
        OUT.println(node.toString());
    }

    static Map<String, Object> fields(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final int records;
    private final Set<Integer> owned = new HashSet<>();

    ConsumerDriver(JsonNode cfg) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.get("bootstrap").asText());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, cfg.get("group").asText());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, cfg.get("client_id").asText());
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, SlowAssignor.class.getName());
        p.put(SlowAssignor.STRATEGY, cfg.get("assignor").asText());
        p.put(SlowAssignor.DELAY, cfg.path("assign_delay_ms").asInt(0));
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, cfg.get("session_timeout_ms").asInt());
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300);
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, cfg.get("max_poll_interval_ms").asInt());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 500);
        p.put(ConsumerConfig.RETRY_BACKOFF_MS_CONFIG, 100);
        p.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10000);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15000);
        if (cfg.hasNonNull("instance_id")) {
            p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, cfg.get("instance_id").asText());
        }
        consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        topic = cfg.get("topic").asText();
        records = cfg.path("records").asInt(1);
    }

    private List<Integer> sorted(Collection<TopicPartition> parts) {
        List<Integer> out = new ArrayList<>();
        for (TopicPartition tp : parts) {
            out.add(tp.partition());
        }
        out.sort(null);
        return out;
    }

    private void subscribe() {
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> parts) {
                for (TopicPartition tp : parts) owned.remove(tp.partition());
                emit("revoke", fields("partitions", sorted(parts)));
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> parts) {
                for (TopicPartition tp : parts) owned.add(tp.partition());
                emit("assign", fields("partitions", sorted(parts)));
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> parts) {
                for (TopicPartition tp : parts) owned.remove(tp.partition());
                emit("lost", fields("partitions", sorted(parts)));
            }
        });
    }

    /** Positions of the owned partitions, once each has reached `records` (or 5 s passed). */
    private Map<TopicPartition, OffsetAndMetadata> positions() {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (true) {
            Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
            boolean done = true;
            for (int p : new ArrayList<>(owned)) {
                TopicPartition tp = new TopicPartition(topic, p);
                long pos = consumer.position(tp);
                out.put(tp, new OffsetAndMetadata(pos));
                done &= pos >= records;
            }
            if (done || System.nanoTime() > deadline) {
                return out;
            }
            consumer.poll(Duration.ofMillis(50));
        }
    }

    private void commit() {
        Map<TopicPartition, OffsetAndMetadata> offsets = positions();
        Map<String, Long> shown = new TreeMap<>();
        offsets.forEach((tp, om) -> shown.put(Integer.toString(tp.partition()), om.offset()));
        String error = "NONE";
        if (offsets.isEmpty()) {
            error = "NO_OFFSET";
        } else {
            try {
                consumer.commitSync(offsets);
            } catch (RuntimeException e) {
                error = errorName(e);
            }
        }
        emit("commit", fields("offsets", shown, "error", error, "exception",
                error.equals("NONE") || error.equals("NO_OFFSET") ? null : error));
    }

    static String errorName(Throwable e) {
        String name = e.getClass().getSimpleName();
        // CommitFailedException: the generation or member is no longer current
        if (e instanceof org.apache.kafka.clients.consumer.CommitFailedException) return "COMMIT_FAILED";
        if (e instanceof org.apache.kafka.common.errors.RebalanceInProgressException) return "REBALANCE_IN_PROGRESS";
        org.apache.kafka.common.protocol.Errors err = org.apache.kafka.common.protocol.Errors.forException(e);
        if (err != org.apache.kafka.common.protocol.Errors.UNKNOWN_SERVER_ERROR) return err.name();
        return name;
    }

    private void fetch(int partitions) {
        Set<TopicPartition> tps = new HashSet<>();
        for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(topic, p));
        Map<String, Long> shown = new TreeMap<>();
        String error = "NONE";
        try {
            Map<TopicPartition, OffsetAndMetadata> got = consumer.committed(tps, Duration.ofSeconds(15));
            got.forEach((tp, om) -> {
                if (om != null) shown.put(Integer.toString(tp.partition()), om.offset());
            });
        } catch (RuntimeException e) {
            error = errorName(e);
        }
        emit("fetch", fields("offsets", shown, "error", error));
    }

    void run(LinkedBlockingQueue<JsonNode> ops) throws InterruptedException {
        subscribe();
        emit("ready", fields());
        boolean polling = true;
        while (true) {
            JsonNode op;
            while ((op = ops.poll()) != null) {
                String name = op.get("op").asText();
                switch (name) {
                    case "commit": commit(); break;
                    case "fetch": fetch(op.get("partitions").asInt()); break;
                    case "stop_polling": polling = false; emit("stopped_polling", fields()); break;
                    case "resume": polling = true; emit("resumed", fields()); break;
                    case "close":
                        consumer.close();
                        emit("closed", fields());
                        return;
                    default: emit("error", fields("message", "unknown op " + name));
                }
            }
            if (polling) {
                try {
                    consumer.poll(Duration.ofMillis(50));
                } catch (RetriableException e) {
                    emit("poll_error", fields("error", errorName(e)));
                } catch (RuntimeException e) {
                    emit("poll_error", fields("error", errorName(e), "message", String.valueOf(e.getMessage())));
                }
            } else {
                Thread.sleep(20);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        JsonNode cfg = JSON.readTree(in.readLine());
        ConsumerDriver driver = new ConsumerDriver(cfg);
        LinkedBlockingQueue<JsonNode> ops = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try {
                String line;
                while ((line = in.readLine()) != null) {
                    if (!line.isBlank()) ops.put(JSON.readTree(line));
                }
                ops.put(JSON.readTree("{\"op\": \"close\"}"));
            } catch (Exception e) {
                emit("error", fields("message", String.valueOf(e)));
            }
        }, "stdin");
        reader.setDaemon(true);
        reader.start();
        try {
            driver.run(ops);
        } catch (Throwable e) {
            emit("error", fields("message", String.valueOf(e)));
            System.exit(1);
        }
        System.exit(0);
    }
}
