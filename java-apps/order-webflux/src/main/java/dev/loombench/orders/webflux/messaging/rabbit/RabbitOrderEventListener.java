package dev.loombench.orders.webflux.messaging.rabbit;

import java.nio.charset.StandardCharsets;

import reactor.core.publisher.Mono;

import org.springframework.amqp.AmqpRejectAndDontRequeueException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.annotation.RabbitListener;

import dev.loombench.orders.domain.event.RabbitHeaders;
import dev.loombench.orders.webflux.messaging.consumer.DeadLetterRecorder;
import dev.loombench.orders.webflux.messaging.consumer.InFlightLimiter;
import dev.loombench.orders.webflux.messaging.consumer.OrderEventProcessor;
import dev.loombench.orders.webflux.messaging.consumer.PerKeyOrder;

/**
 * The RabbitMQ consumers in Spring AMQP 4's reactive style (reactor-rabbitmq is dormant): the listener returns a
 * {@code Mono<Void>}, the container acknowledges manually, acking the message when the Mono completes and rejecting
 * it when it fails. Every failure reaching the container (poison at once, others after the processor's own retries)
 * is a reject without requeue, which the queue's dead-letter exchange routes to {@code order.created.dlq}.
 * <p>
 * Consumers and prefetch: ORDERS_RABBIT_LISTENER_CONCURRENCY and ORDERS_RABBIT_PREFETCH (spring.rabbitmq.listener.*):
 * at most consumers × prefetch unacknowledged messages reach the app; of those, the {@link InFlightLimiter} lets at
 * most ORDERS_CONSUMER_MAX_IN_FLIGHT be processed at once.
 * <p>
 * Messages of one consumer complete in any order unless ORDERS_CONSUMER_ORDERING is per-key ({@link PerKeyOrder},
 * keyed by the relay's order-id header): then one consumer applies an order's events in queue order. With competing
 * consumers (concurrency above 1) two of them may hold events of one order at once and nothing here orders them.
 */
public class RabbitOrderEventListener {

    /** Listener container ids, used to read their live settings back. */
    public static final String CONSUMER_ID = "order-created-consumer";

    public static final String DEAD_LETTER_CONSUMER_ID = "order-created-dlq-consumer";

    private final OrderEventProcessor processor;

    private final InFlightLimiter limiter;

    private final PerKeyOrder order;

    private final DeadLetterRecorder deadLetters;

    public RabbitOrderEventListener(OrderEventProcessor processor, InFlightLimiter limiter, PerKeyOrder order,
            DeadLetterRecorder deadLetters) {
        this.processor = processor;
        this.limiter = limiter;
        this.order = order;
        this.deadLetters = deadLetters;
    }

    @RabbitListener(id = CONSUMER_ID, queues = "${orders.messaging.rabbit.queue}")
    public Mono<Void> onEvent(Message message) {
        return this.limiter.limit(this.order.after(orderKey(message), this.processor.process(body(message))))
            .onErrorMap((ex) -> new AmqpRejectAndDontRequeueException(ex.getMessage(), ex));
    }

    /** One consumer: dead letters are rare, and the recorder retries until the row is stored. */
    @RabbitListener(id = DEAD_LETTER_CONSUMER_ID, queues = "${orders.messaging.rabbit.dead-letter-queue}",
            concurrency = "1")
    public Mono<Void> onDeadLetter(Message message) {
        return this.deadLetters.record(body(message));
    }

    /** The relay's {@link RabbitHeaders#ORDER_ID} header; null (unchained) for a message without one. */
    private static String orderKey(Message message) {
        Object key = message.getMessageProperties().getHeader(RabbitHeaders.ORDER_ID);
        return (key != null) ? key.toString() : null;
    }

    private static String body(Message message) {
        return new String(message.getBody(), StandardCharsets.UTF_8);
    }
}
