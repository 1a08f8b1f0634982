package io.gdsl.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.coordinator.common.runtime.CoordinatorRecord;
import org.apache.kafka.coordinator.common.runtime.CoordinatorTimer;

/**
 * A CoordinatorTimer whose timeouts never fire by themselves: the driver lists them
 * (key, deadline) and fires one by key. Scheduling a key again replaces it, as
 * Kafka's CoordinatorTimer contract says (written for this harness, in the manner of
 * Kafka's test MockCoordinatorTimer).
 */
final class KeyedTimer implements CoordinatorTimer<CoordinatorRecord> {
    static final class Scheduled {
        final String key;
        final long deadlineMs;
        final boolean retry;
        final long retryBackoffMs;
        final TimeoutOperation<CoordinatorRecord> operation;

        Scheduled(String key, long deadlineMs, boolean retry, long retryBackoffMs,
                  TimeoutOperation<CoordinatorRecord> operation) {
            this.key = key;
            this.deadlineMs = deadlineMs;
            this.retry = retry;
            this.retryBackoffMs = retryBackoffMs;
            this.operation = operation;
        }
    }

    private final DetTime time;
    private final Map<String, Scheduled> timeouts = new LinkedHashMap<>();

    KeyedTimer(DetTime time) {
        this.time = time;
    }

    @Override
    public void schedule(String key, long delay, TimeUnit unit, boolean retry, TimeoutOperation<CoordinatorRecord> operation) {
        schedule(key, delay, unit, retry, 500, operation);
    }

    @Override
    public void schedule(String key, long delay, TimeUnit unit, boolean retry, long retryBackoff,
                         TimeoutOperation<CoordinatorRecord> operation) {
        timeouts.remove(key);
        timeouts.put(key, new Scheduled(key, time.milliseconds() + unit.toMillis(delay), retry,
            unit.toMillis(retryBackoff), operation));
    }

    @Override
    public void scheduleIfAbsent(String key, long delay, TimeUnit unit, boolean retry,
                                 TimeoutOperation<CoordinatorRecord> operation) {
        if (!timeouts.containsKey(key)) schedule(key, delay, unit, retry, operation);
    }

    @Override
    public void cancel(String key) {
        timeouts.remove(key);
    }

    @Override
    public boolean isScheduled(String key) {
        return timeouts.containsKey(key);
    }

    Scheduled take(String key) {
        return timeouts.remove(key);
    }

    List<Scheduled> all() {
        return new ArrayList<>(timeouts.values());
    }

    void cancelAll() {
        timeouts.clear();
    }
}
