package io.gdsl.harness;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Configurable;

/**
 * Kafka's own range, roundrobin or cooperative-sticky assignor under its own name (so the
 * group sees the protocol the scenario names), made slow on request: `assign` on the leader
 * prints an "assignor" event, then sleeps `gdsl.assign.delay.ms` before assigning. The
 * failover scenario moves the group's coordinator in that window.
 */
public final class SlowAssignor implements ConsumerPartitionAssignor, Configurable {
    static final String STRATEGY = "gdsl.assignor";
    static final String DELAY = "gdsl.assign.delay.ms";

    private ConsumerPartitionAssignor delegate = new RangeAssignor();
    private int delayMs;

    @Override
    public void configure(Map<String, ?> configs) {
        Object name = configs.get(STRATEGY);
        String strategy = name == null ? "range" : name.toString();
        switch (strategy) {
            case "range": delegate = new RangeAssignor(); break;
            case "roundrobin": delegate = new RoundRobinAssignor(); break;
            case "cooperative-sticky": delegate = new CooperativeStickyAssignor(); break;
            default: throw new IllegalArgumentException("unknown assignor " + strategy);
        }
        Object delay = configs.get(DELAY);
        delayMs = delay == null ? 0 : Integer.parseInt(delay.toString());
    }

    @Override
    public GroupAssignment assign(Cluster metadata, GroupSubscription subscriptions) {
        ConsumerDriver.emit("assignor", ConsumerDriver.fields("members", subscriptions.groupSubscription().size(),
                "delay_ms", delayMs));
        if (delayMs > 0) {
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return delegate.assign(metadata, subscriptions);
    }

    @Override
    public java.nio.ByteBuffer subscriptionUserData(java.util.Set<String> topics) {
        return delegate.subscriptionUserData(topics);
    }

    @Override
    public void onAssignment(Assignment assignment, ConsumerGroupMetadata metadata) {
        delegate.onAssignment(assignment, metadata);
    }

    @Override
    public List<RebalanceProtocol> supportedProtocols() {
        return delegate.supportedProtocols();
    }

    @Override
    public short version() {
        return delegate.version();
    }

    @Override
    public String name() {
        return delegate.name();
    }
}
