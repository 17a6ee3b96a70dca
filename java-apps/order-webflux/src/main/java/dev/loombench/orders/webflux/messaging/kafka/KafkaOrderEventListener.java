package dev.loombench.orders.webflux.messaging.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import reactor.core.publisher.Mono;

import org.springframework.kafka.annotation.KafkaListener;

import dev.loombench.orders.webflux.messaging.consumer.DeadLetterRecorder;
import dev.loombench.orders.webflux.messaging.consumer.InFlightLimiter;
import dev.loombench.orders.webflux.messaging.consumer.OrderEventProcessor;
import dev.loombench.orders.webflux.messaging.consumer.PerKeyOrder;

/**
 * The Kafka consumers, in the style spring-kafka 4 supports for reactive code (reactor-kafka is discontinued): the
 * listener returns a {@code Mono<Void>}, so the container switches to manual acknowledgement with out-of-order
 * commits and acknowledges each record when its Mono completes. The container pauses its consumer until every record
 * of the previous poll is acknowledged, and the acknowledgements are committed together (MANUAL ack mode), as
 * order-mvc commits once per poll. Only the {@link InFlightLimiter} bounds how many records run at once
 * (ORDERS_CONSUMER_MAX_IN_FLIGHT); {@code max.poll.records} is every variant's 500 and not derived from that limit,
 * because a poll of one record is a commit per event. Records of one poll complete in any order unless ORDERS_CONSUMER_ORDERING is
 * per-key ({@link PerKeyOrder}): a partition's records are in order, but nothing else keeps them so here.
 * <p>
 * A message that fails (poison at once, other failures after the processor's own retries) is published to
 * {@code order-events.DLT} before its Mono completes, so it too is acknowledged only once it is safe somewhere.
 */
public class KafkaOrderEventListener {

    /** Listener container ids, used to read their live settings back. */
    public static final String CONSUMER_ID = "order-events-consumer";

    public static final String DEAD_LETTER_CONSUMER_ID = "order-events-dlt-consumer";

    private final OrderEventProcessor processor;

    private final InFlightLimiter limiter;

    private final PerKeyOrder order;

    private final KafkaDeadLetterPublisher deadLetterTopic;

    private final DeadLetterRecorder deadLetters;

    public KafkaOrderEventListener(OrderEventProcessor processor, InFlightLimiter limiter, PerKeyOrder order,
            KafkaDeadLetterPublisher deadLetterTopic, DeadLetterRecorder deadLetters) {
        this.processor = processor;
        this.limiter = limiter;
        this.order = order;
        this.deadLetterTopic = deadLetterTopic;
        this.deadLetters = deadLetters;
    }

    /** Group and concurrency: ORDERS_KAFKA_GROUP_ID and ORDERS_KAFKA_LISTENER_CONCURRENCY via spring.kafka.*. */
    @KafkaListener(id = CONSUMER_ID, idIsGroup = false, topics = "${orders.messaging.kafka.topic}")
    public Mono<Void> onEvent(ConsumerRecord<String, String> record) {
        // The key is the order id (the relay's): per-key, a record waits for its order's previous one, dead-lettering
        // included, so a failed event is out of the way before the next stage of its order is tried.
        return this.limiter.limit(this.order.after(record.key(), this.processor.process(record.value())
            .onErrorResume((failure) -> this.deadLetterTopic.publish(record, failure))));
    }

    /** Its own group, one thread: dead letters are rare, and the recorder retries until the row is stored. */
    @KafkaListener(id = DEAD_LETTER_CONSUMER_ID, groupId = "${spring.kafka.consumer.group-id}-dlt", concurrency = "1",
            topics = "${orders.messaging.kafka.topic}.DLT")
    public Mono<Void> onDeadLetter(ConsumerRecord<String, String> record) {
        return this.deadLetters.record(record.value());
    }
}
