package dev.loombench.orders.webflux.runtime;

import dev.loombench.orders.domain.event.RelaySettings;
import dev.loombench.orders.domain.runtime.RuntimeSettings.MessagingSettings;
import dev.loombench.orders.webflux.messaging.BrokerSettings;
import dev.loombench.orders.webflux.messaging.MessagingProperties;
import dev.loombench.orders.webflux.messaging.consumer.InFlightLimiter;
import dev.loombench.orders.webflux.messaging.consumer.OrderEventProcessor;
import dev.loombench.orders.webflux.messaging.relay.OutboxRelay;
import dev.loombench.orders.webflux.messaging.relay.RelayDatabase;

/**
 * {@code runtime.messaging}: read from the live relay, limiter, processor and listener containers. With
 * {@code ORDERS_BROKER=none} none of them exists, and the relay and consumer settings are the configured ones.
 */
final class MessagingInfo {

    private MessagingInfo() {
    }

    static MessagingSettings of(MessagingProperties properties, OutboxRelay relay, RelayDatabase relayDatabase,
            InFlightLimiter limiter, OrderEventProcessor processor, BrokerSettings broker) {
        MessagingProperties.Consumer consumer = (processor != null) ? processor.settings() : properties.consumer();
        return new MessagingSettings(properties.broker().wireName(),
                (broker != null) ? broker.partitions() : null,
                (broker != null) ? broker.listenerConcurrency() : null,
                (broker != null) ? broker.prefetch() : null,
                (limiter != null) ? limiter.maxInFlight() : properties.consumer().maxInFlight(),
                (relay != null) ? relay.batchSize() : properties.relay().batchSize(),
                (relay != null) ? relay.pollInterval().toMillis() : properties.relay().pollIntervalMs(),
                ((relay != null) ? relay.ackTimeout() : RelaySettings.ACK_TIMEOUT).toMillis(),
                (relayDatabase != null) ? relayDatabase.poolSize() : properties.relay().dbPool(),
                consumer.delayMs(), consumer.maxAttempts(), consumer.backoffMs(), consumer.consumerOrdering().wireName(),
                (broker != null) ? broker.kafkaProducer() : null, (broker != null) ? broker.kafkaConsumer() : null);
    }
}
