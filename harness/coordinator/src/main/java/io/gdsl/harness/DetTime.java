package io.gdsl.harness;

import java.util.function.Supplier;

import org.apache.kafka.common.utils.Time;

/** Deterministic time: it moves only when the driver says so. */
final class DetTime implements Time {
    private long ms = 1_000_000L;

    @Override
    public long milliseconds() {
        return ms;
    }

    @Override
    public long nanoseconds() {
        return ms * 1_000_000L;
    }

    @Override
    public void sleep(long delta) {
        ms += delta;
    }

    @Override
    public void waitObject(Object obj, Supplier<Boolean> condition, long deadlineMs) {
        throw new UnsupportedOperationException("the harness never waits");
    }
}
