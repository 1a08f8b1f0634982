package org.apache.kafka.clients.consumer;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;

import org.apache.kafka.clients.consumer.internals.AbstractStickyAssignor.MemberData;
import org.apache.kafka.common.TopicPartition;

/** The (EAGER) StickyAssignor's userData, as the gdsl client harness reads and writes it. */
public final class GdslStickyAccess {
    private GdslStickyAccess() { }

    /** As StickyAssignor.subscriptionUserData: none before the first assignment. */
    public static ByteBuffer encode(List<TopicPartition> partitions, int generation) {
        if (generation < 0 && partitions.isEmpty())
            return null;
        return StickyAssignor.serializeTopicPartitionAssignment(
            new MemberData(partitions, generation < 0 ? Optional.empty() : Optional.of(generation), Optional.empty()));
    }

    /** The (partitions, generation) the sticky assignor claims for a subscription. */
    public static MemberData decode(StickyAssignor assignor, ConsumerPartitionAssignor.Subscription s) {
        return assignor.memberData(s);
    }
}
