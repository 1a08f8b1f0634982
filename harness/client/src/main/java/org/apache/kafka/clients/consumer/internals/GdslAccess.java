package org.apache.kafka.clients.consumer.internals;

import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.utils.Timer;

/**
 * The gdsl client harness's window into Kafka's ConsumerCoordinator: the package-private
 * and protected entry points Kafka's own ConsumerCoordinatorTest uses (it lives in this
 * package for the same reason), and the private fields the harness reads to build its
 * abstraction of the client (read only, never written).
 */
public final class GdslAccess {
    private GdslAccess() { }

    private static Object field(Object o, Class<?> cls, String name) {
        try {
            Field f = cls.getDeclaredField(name);
            f.setAccessible(true);
            synchronized (o) {
                return f.get(o);
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Kafka's " + cls.getSimpleName() + " has no field " + name, e);
        }
    }

    public static String state(ConsumerCoordinator c) {
        synchronized (c) {
            return c.state.name();
        }
    }

    public static int generationId(ConsumerCoordinator c) {
        return c.generation().generationId;
    }

    public static String memberId(ConsumerCoordinator c) {
        return c.generation().memberId;
    }

    public static boolean rejoinNeeded(ConsumerCoordinator c) {
        return (Boolean) field(c, AbstractCoordinator.class, "rejoinNeeded");
    }

    /** A JoinGroup/SyncGroup round is in progress: the join future is set and not done. */
    public static boolean joinPending(ConsumerCoordinator c) {
        RequestFuture<?> f = (RequestFuture<?>) field(c, AbstractCoordinator.class, "joinFuture");
        return f != null && !f.isDone();
    }

    public static boolean needsJoinPrepare(ConsumerCoordinator c) {
        return (Boolean) field(c, AbstractCoordinator.class, "needsJoinPrepare");
    }

    public static boolean isLeader(ConsumerCoordinator c) {
        return (Boolean) field(c, ConsumerCoordinator.class, "isLeader");
    }

    public static boolean hasAssignmentSnapshot(ConsumerCoordinator c) {
        return field(c, ConsumerCoordinator.class, "assignmentSnapshot") != null;
    }

    public static Node coordinator(ConsumerCoordinator c) {
        return (Node) field(c, AbstractCoordinator.class, "coordinator");
    }

    public static boolean ensureCoordinatorReady(ConsumerCoordinator c, Timer timer) {
        return c.ensureCoordinatorReady(timer);
    }

    public static void sendHeartbeat(ConsumerCoordinator c, AtomicReference<RuntimeException> outcome) {
        c.sendHeartbeatRequest().addListener(new RequestFutureListener<Void>() {
            @Override
            public void onSuccess(Void value) {
                outcome.set(null);
            }

            @Override
            public void onFailure(RuntimeException e) {
                outcome.set(e);
            }
        });
    }

    /** What the heartbeat thread does when max.poll.interval.ms expires (AbstractCoordinator.HeartbeatThread.run). */
    public static void pollTimeoutExpired(ConsumerCoordinator c) {
        c.handlePollTimeoutExpiry();
    }

    /** The leader's metadata check that ConsumerCoordinator.poll makes (maybeUpdateSubscriptionMetadata, then rejoinNeededOrPending). */
    public static boolean noticeMetadata(ConsumerCoordinator c) {
        c.maybeUpdateSubscriptionMetadata();
        return c.rejoinNeededOrPending();
    }

    public static void invokeCommitCallbacks(ConsumerCoordinator c) {
        c.invokeCompletedOffsetCommitCallbacks();
    }

    public static void close(ConsumerCoordinator c, Timer timer) {
        c.close(timer, CloseOptions.GroupMembershipOperation.DEFAULT);
    }
}
