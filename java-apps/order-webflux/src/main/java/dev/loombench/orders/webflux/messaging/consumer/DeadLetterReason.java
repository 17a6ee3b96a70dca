package dev.loombench.orders.webflux.messaging.consumer;

import dev.loombench.orders.domain.event.OrderEventCodec;
import dev.loombench.orders.domain.event.PoisonMessageException;

/**
 * The {@code dead_letters.reason} of a dead-lettered payload, derived from the payload itself so it reads the same
 * for both brokers: a RabbitMQ reject carries no reason, and Kafka's DLT headers only wrap the exception.
 */
final class DeadLetterReason {

    private DeadLetterReason() {
    }

    static String of(String payload, int maxAttempts) {
        try {
            OrderEventCodec.parse(payload);
        }
        catch (PoisonMessageException poison) {
            return "poison: " + poison.getMessage();
        }
        return "failed after " + maxAttempts + " attempts";
    }
}
