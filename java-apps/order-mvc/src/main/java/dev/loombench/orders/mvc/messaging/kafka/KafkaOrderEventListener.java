package dev.loombench.orders.mvc.messaging.kafka;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import org.springframework.kafka.annotation.KafkaListener;
import dev.loombench.orders.mvc.messaging.consumer.DeadLetterRecorder;
import dev.loombench.orders.mvc.messaging.consumer.OrderEventProcessor;

/**
 * The Kafka listeners: one record at a time per container thread (concurrency
 * {@code ORDERS_KAFKA_LISTENER_CONCURRENCY}, ack mode BATCH: a poll's offsets are committed after the method
 * returned for each of its records, i.e. after every database commit). Retries and the dead-letter topic are the container's error handler's (see
 * KafkaMessagingConfiguration).
 */
public class KafkaOrderEventListener {

    public static final String CONSUMER_ID = "orderEvents";

    public static final String DEAD_LETTER_CONSUMER_ID = "orderEventDeadLetters";

    /** Set by the dead-letter publisher: why the record was given up. */
    public static final String REASON_HEADER = "deadLetterReason";

    private final OrderEventProcessor processor;

    private final DeadLetterRecorder deadLetters;

    public KafkaOrderEventListener(OrderEventProcessor processor, DeadLetterRecorder deadLetters) {
        this.processor = processor;
        this.deadLetters = deadLetters;
    }

    @KafkaListener(id = CONSUMER_ID, idIsGroup = false, topics = "${orders.kafka.topic}")
    public void onEvent(ConsumerRecord<String, String> record) {
        this.processor.process(record.value());
    }

    /** Its own group and container factory: a failure to record is retried here, never dead-lettered again. */
    @KafkaListener(id = DEAD_LETTER_CONSUMER_ID, idIsGroup = false, topics = "${orders.kafka.dead-letter-topic}",
            groupId = "${spring.kafka.consumer.group-id}-dlt", concurrency = "1",
            containerFactory = "deadLetterKafkaListenerContainerFactory")
    public void onDeadLetter(ConsumerRecord<String, String> record) {
        Header reason = record.headers().lastHeader(REASON_HEADER);
        this.deadLetters.record("kafka", record.value(),
                (reason != null) ? new String(reason.value(), StandardCharsets.UTF_8) : null);
    }
}
