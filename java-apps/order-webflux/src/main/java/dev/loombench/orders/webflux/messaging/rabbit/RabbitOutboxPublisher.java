package dev.loombench.orders.webflux.messaging.rabbit;

import java.nio.charset.StandardCharsets;
import java.util.List;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageBuilder;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import dev.loombench.orders.domain.event.RabbitHeaders;
import dev.loombench.orders.webflux.messaging.relay.OutboxPublisher;
import dev.loombench.orders.webflux.messaging.relay.OutboxRow;

/**
 * Publishes a batch to {@code order.exchange} / {@code order.created}: persistent, {@code messageId} = event id,
 * {@code type} = the row's event type, body = the payload as stored. The batch completes when the broker confirmed every
 * message (publisher confirms, correlated) and none came back unroutable (mandatory).
 * <p>
 * RabbitTemplate is a blocking API (it checks a channel out of the cache, may open the connection, and blocks under
 * the broker's flow control), so the sends run on {@code boundedElastic}, once per batch, never on the R2DBC loop
 * that completed the claim. Waiting for the confirms holds no thread at all: each message's {@link CorrelationData}
 * future completes on the AMQP connection's thread when the broker acks or nacks it, or when the channel closes.
 */
public class RabbitOutboxPublisher implements OutboxPublisher {

    private final RabbitTemplate template;

    private final String exchange;

    private final String routingKey;

    public RabbitOutboxPublisher(RabbitTemplate template, String exchange, String routingKey) {
        this.template = template;
        this.exchange = exchange;
        this.routingKey = routingKey;
    }

    @Override
    public Mono<Void> publish(List<OutboxRow> rows) {
        return Mono.fromCallable(() -> rows.stream().map(this::send).toList())
            .subscribeOn(Schedulers.boundedElastic())
            .flatMapMany(Flux::fromIterable)
            .flatMap(RabbitOutboxPublisher::confirmed)
            .then();
    }

    private CorrelationData send(OutboxRow row) {
        Message message = MessageBuilder.withBody(row.payload().getBytes(StandardCharsets.UTF_8))
            .setContentType(MessageProperties.CONTENT_TYPE_JSON)
            .setContentEncoding(StandardCharsets.UTF_8.name())
            .setDeliveryMode(MessageDeliveryMode.PERSISTENT)
            .setMessageId(row.eventId().toString())
            .setHeader(RabbitHeaders.ORDER_ID, Long.toString(row.aggregateId()))
            .setType(row.eventType())
            .build();
        CorrelationData correlation = new CorrelationData(Long.toString(row.id()));
        this.template.send(this.exchange, this.routingKey, message, correlation);
        return correlation;
    }

    /** A return (unroutable) is always delivered before its confirm, so both are known once the future completes. */
    private static Mono<Void> confirmed(CorrelationData correlation) {
        return Mono.fromFuture(correlation.getFuture()).flatMap((confirm) -> {
            if (!confirm.ack()) {
                return Mono.error(new IllegalStateException(
                        "RabbitMQ nacked outbox row " + correlation.getId() + ": " + confirm.reason()));
            }
            if (correlation.getReturned() != null) {
                return Mono.error(new IllegalStateException("RabbitMQ returned outbox row " + correlation.getId()
                        + " as unroutable: " + correlation.getReturned().getReplyText()));
            }
            return Mono.empty();
        });
    }
}
