package dev.loombench.orders.mvc.messaging.rabbit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.springframework.amqp.AmqpException;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.MessageBuilder;
import org.springframework.amqp.core.MessageDeliveryMode;
import org.springframework.amqp.core.MessageProperties;
import org.springframework.amqp.core.ReturnedMessage;
import org.springframework.amqp.rabbit.connection.CorrelationData;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

import dev.loombench.orders.domain.event.RabbitHeaders;
import dev.loombench.orders.mvc.messaging.relay.OutboxPublisher;
import dev.loombench.orders.mvc.messaging.relay.OutboxRow;

/**
 * RabbitMQ side of the relay: persistent messages, {@code messageId} = event id, {@code type} = event type,
 * published with correlated publisher confirms and {@code mandatory} (see application.properties). A row counts as
 * published only when the broker confirmed it and did not return it as unroutable (no bound queue).
 */
public class RabbitOutboxPublisher implements OutboxPublisher {

    private final RabbitTemplate rabbit;

    private final String exchange;

    private final String routingKey;

    private final Duration ackTimeout;

    public RabbitOutboxPublisher(RabbitTemplate rabbit, String exchange, String routingKey, Duration ackTimeout) {
        this.rabbit = rabbit;
        this.exchange = exchange;
        this.routingKey = routingKey;
        this.ackTimeout = ackTimeout;
    }

    @Override
    public void publish(List<OutboxRow> rows) {
        List<CorrelationData> confirms = new ArrayList<>(rows.size());
        for (OutboxRow row : rows) {
            // The outbox row id, not the event id: a duplicated event is two rows and two confirms.
            CorrelationData confirm = new CorrelationData("outbox-" + row.id());
            this.rabbit.send(this.exchange, this.routingKey, message(row), confirm);
            confirms.add(confirm);
        }
        long deadline = System.nanoTime() + this.ackTimeout.toNanos();
        for (CorrelationData confirm : confirms) {
            awaitConfirm(confirm, deadline);
        }
    }

    @Override
    public Duration ackTimeout() {
        return this.ackTimeout;
    }

    @Override
    public String broker() {
        return "rabbitmq";
    }

    private void awaitConfirm(CorrelationData confirm, long deadline) {
        CorrelationData.Confirm answer;
        try {
            answer = confirm.getFuture().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        catch (ExecutionException ex) {
            throw new AmqpException("RabbitMQ confirm of " + confirm.getId() + " failed", ex.getCause());
        }
        catch (TimeoutException ex) {
            throw new AmqpException("RabbitMQ did not confirm " + confirm.getId() + " within "
                    + this.ackTimeout.toMillis() + " ms", ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new AmqpException("Interrupted waiting for RabbitMQ confirms", ex);
        }
        if (!answer.ack()) {
            throw new AmqpException("RabbitMQ refused " + confirm.getId() + ": " + answer.reason());
        }
        // Set before the confirm completes the future when the message was returned.
        ReturnedMessage returned = confirm.getReturned();
        if (returned != null) {
            throw new AmqpException("RabbitMQ returned " + confirm.getId() + " as unroutable ("
                    + returned.getReplyText() + ", exchange " + returned.getExchange() + ", routing key " + returned.getRoutingKey()
                    + "): is the queue declared and bound?");
        }
    }

    private static Message message(OutboxRow row) {
        return MessageBuilder.withBody(row.payload().getBytes(StandardCharsets.UTF_8))
            .setContentType(MessageProperties.CONTENT_TYPE_JSON)
            .setContentEncoding(StandardCharsets.UTF_8.name())
            .setDeliveryMode(MessageDeliveryMode.PERSISTENT)
            .setMessageId(row.eventId().toString())
            .setHeader(RabbitHeaders.ORDER_ID, Long.toString(row.aggregateId()))
            .setType(row.eventType())
            .build();
    }
}
