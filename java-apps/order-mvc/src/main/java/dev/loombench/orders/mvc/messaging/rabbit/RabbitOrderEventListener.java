package dev.loombench.orders.mvc.messaging.rabbit;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import dev.loombench.orders.mvc.messaging.consumer.DeadLetterRecorder;
import dev.loombench.orders.mvc.messaging.consumer.OrderEventProcessor;

/**
 * The RabbitMQ listeners ({@code ORDERS_RABBIT_LISTENER_CONCURRENCY} consumers, prefetch
 * {@code ORDERS_RABBIT_PREFETCH}, ack mode AUTO: the container acknowledges after the method returned, i.e. after
 * the database commit). Retries and the final reject-without-requeue into the dead-letter exchange are the container's
 * (see RabbitMessagingConfiguration).
 */
public class RabbitOrderEventListener {

    public static final String CONSUMER_ID = "orderCreated";

    public static final String DEAD_LETTER_CONSUMER_ID = "orderCreatedDeadLetters";

    private final OrderEventProcessor processor;

    private final DeadLetterRecorder deadLetters;

    public RabbitOrderEventListener(OrderEventProcessor processor, DeadLetterRecorder deadLetters) {
        this.processor = processor;
        this.deadLetters = deadLetters;
    }

    @RabbitListener(id = CONSUMER_ID, queues = "${orders.rabbit.queue}")
    public void onEvent(Message message) {
        this.processor.process(new String(message.getBody(), StandardCharsets.UTF_8));
    }

    /** Its own container factory: a failure to record is retried here, never rejected into oblivion. */
    @RabbitListener(id = DEAD_LETTER_CONSUMER_ID, queues = "${orders.rabbit.dead-letter-queue}", concurrency = "1-1",
            containerFactory = "deadLetterRabbitListenerContainerFactory")
    public void onDeadLetter(Message message) {
        this.deadLetters.record("rabbitmq", new String(message.getBody(), StandardCharsets.UTF_8),
                reason(message.getMessageProperties().getXDeathHeader()));
    }

    /** A rejected message carries no exception: its {@code x-death} entry says who rejected it and how often. */
    private static String reason(List<Map<String, ?>> deaths) {
        if (deaths == null || deaths.isEmpty()) {
            return null;
        }
        Map<String, ?> death = deaths.get(0);
        return death.get("reason") + " by queue " + death.get("queue") + " (count " + death.get("count") + ")";
    }
}
