package dev.loombench.orders.webflux.messaging.kafka;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.producer.ProducerRecord;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.kafka.core.KafkaTemplate;

import dev.loombench.orders.webflux.messaging.relay.OutboxPublisher;
import dev.loombench.orders.webflux.messaging.relay.OutboxRow;

/**
 * Publishes a batch to {@code order-events}: key = order id, headers {@code eventId} and {@code eventType}, value =
 * the payload as stored. The producer runs with order-domain's {@code KafkaProducerSettings} ({@code acks=all},
 * idempotence), and
 * the batch completes when every send's future has.
 * <p>
 * {@code KafkaProducer.send} is asynchronous except when it has no metadata for the topic yet or its buffer is full:
 * then it blocks the caller for up to {@code max.block.ms}, e.g. while the broker restarts. So the sends are made on
 * {@code boundedElastic}, once per batch, never on the R2DBC loop that completed the claim; the acknowledgements are
 * waited for without any thread (the futures complete on the producer's I/O thread).
 */
public class KafkaOutboxPublisher implements OutboxPublisher {

    static final String EVENT_ID_HEADER = "eventId";

    static final String EVENT_TYPE_HEADER = "eventType";

    private final KafkaTemplate<String, String> template;

    private final String topic;

    public KafkaOutboxPublisher(KafkaTemplate<String, String> template, String topic) {
        this.template = template;
        this.topic = topic;
    }

    @Override
    public Mono<Void> publish(List<OutboxRow> rows) {
        return Mono.fromCallable(() -> rows.stream().map(this::send).toArray(CompletableFuture[]::new))
            .subscribeOn(Schedulers.boundedElastic())
            .flatMap((sends) -> Mono.fromFuture(CompletableFuture.allOf(sends)));
    }

    private CompletableFuture<?> send(OutboxRow row) {
        ProducerRecord<String, String> record = new ProducerRecord<>(this.topic, String.valueOf(row.aggregateId()),
                row.payload());
        record.headers()
            .add(EVENT_ID_HEADER, row.eventId().toString().getBytes(StandardCharsets.UTF_8))
            .add(EVENT_TYPE_HEADER, row.eventType().getBytes(StandardCharsets.UTF_8));
        return this.template.send(record);
    }
}
