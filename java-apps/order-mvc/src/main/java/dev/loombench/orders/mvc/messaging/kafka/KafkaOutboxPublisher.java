package dev.loombench.orders.mvc.messaging.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.ProducerRecord;

import org.springframework.kafka.KafkaException;
import org.springframework.kafka.core.KafkaTemplate;

import dev.loombench.orders.mvc.messaging.relay.OutboxPublisher;
import dev.loombench.orders.mvc.messaging.relay.OutboxRow;

/**
 * Kafka side of the relay: key = order id (one order's events stay in one partition, in order), headers
 * {@code eventId} and {@code eventType}. The producer runs with {@code acks=all} and idempotence (see
 * application.properties); every send of a batch is in flight at once and all are awaited.
 */
public class KafkaOutboxPublisher implements OutboxPublisher {

    public static final String EVENT_ID_HEADER = "eventId";

    public static final String EVENT_TYPE_HEADER = "eventType";

    private final KafkaTemplate<String, String> kafka;

    private final String topic;

    private final Duration ackTimeout;

    public KafkaOutboxPublisher(KafkaTemplate<String, String> kafka, String topic, Duration ackTimeout) {
        this.kafka = kafka;
        this.topic = topic;
        this.ackTimeout = ackTimeout;
    }

    @Override
    public void publish(List<OutboxRow> rows) {
        CompletableFuture<?>[] sends = rows.stream().map((row) -> this.kafka.send(record(row)))
            .toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(sends).get(this.ackTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        catch (ExecutionException ex) {
            throw new KafkaException("Kafka did not acknowledge every event sent to " + this.topic, ex.getCause());
        }
        catch (TimeoutException ex) {
            throw new KafkaException("Kafka acknowledged not every event sent to " + this.topic + " within "
                    + this.ackTimeout.toMillis() + " ms", ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new KafkaException("Interrupted waiting for Kafka acknowledgements", ex);
        }
    }

    @Override
    public Duration ackTimeout() {
        return this.ackTimeout;
    }

    @Override
    public String broker() {
        return "kafka";
    }

    private ProducerRecord<String, String> record(OutboxRow row) {
        ProducerRecord<String, String> record = new ProducerRecord<>(this.topic, Long.toString(row.aggregateId()),
                row.payload());
        record.headers().add(EVENT_ID_HEADER, row.eventId().toString().getBytes(StandardCharsets.UTF_8));
        record.headers().add(EVENT_TYPE_HEADER, row.eventType().getBytes(StandardCharsets.UTF_8));
        return record;
    }
}
