package dev.loombench.orders.webflux.messaging;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;

import dev.loombench.orders.domain.event.EventMeters;
import dev.loombench.orders.domain.event.RelaySettings;
import dev.loombench.orders.webflux.downstream.InventoryClient;
import dev.loombench.orders.webflux.messaging.consumer.ConsumerDrain;
import dev.loombench.orders.webflux.messaging.consumer.DeadLetterRecorder;
import dev.loombench.orders.webflux.messaging.consumer.InFlightLimiter;
import dev.loombench.orders.webflux.messaging.consumer.OrderEventProcessor;
import dev.loombench.orders.webflux.messaging.consumer.PerKeyOrder;
import dev.loombench.orders.webflux.messaging.relay.OutboxPublisher;
import dev.loombench.orders.webflux.messaging.relay.OutboxRelay;
import dev.loombench.orders.webflux.messaging.relay.RelayDatabase;

/**
 * What both brokers share: the outbox relay (publishing through the broker's {@link OutboxPublisher}), the
 * consumer's work, its in-flight limit, per-key order and shutdown drain, and the dead-letter recorder. Absent with
 * {@code ORDERS_BROKER=none}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${orders.messaging.broker}' != 'none'")
class MessagingConfiguration {

    /** The relay's connections and threads: its own unless {@code ORDERS_RELAY_DB_POOL=0}. */
    @Bean(destroyMethod = "close")
    RelayDatabase relayDatabase(DatabaseClient database, TransactionalOperator transaction, R2dbcProperties r2dbc,
            MessagingProperties properties, MeterRegistry meters) {
        int size = properties.relay().dbPool();
        if (size == 0) {
            return RelayDatabase.shared(database, transaction);
        }
        return RelayDatabase.ownPool(r2dbc.getUrl(), r2dbc.getUsername(), r2dbc.getPassword(), size,
                r2dbc.getPool().getMaxAcquireTime(), meters);
    }

    @Bean
    OutboxRelay outboxRelay(RelayDatabase relayDatabase, OutboxPublisher publisher, MessagingProperties properties,
            MeterRegistry meters) {
        return new OutboxRelay(relayDatabase.database(), relayDatabase.transaction(), relayDatabase.scheduler(),
                publisher, properties.relay(), RelaySettings.ACK_TIMEOUT, meters);
    }

    @Bean
    OrderEventProcessor orderEventProcessor(InventoryClient inventory, DatabaseClient database,
            MessagingProperties properties, MeterRegistry meters) {
        return new OrderEventProcessor(inventory, database, properties.broker(), properties.consumer(), meters);
    }

    @Bean
    InFlightLimiter inFlightLimiter(MessagingProperties properties, MeterRegistry meters) {
        InFlightLimiter limiter = new InFlightLimiter(properties.consumer().maxInFlight());
        Gauge.builder(EventMeters.CONSUMER_IN_FLIGHT, limiter, InFlightLimiter::inFlight)
            .description("Consumed events being processed right now (at most ORDERS_CONSUMER_MAX_IN_FLIGHT)")
            .register(meters);
        return limiter;
    }

    @Bean
    PerKeyOrder perKeyOrder(MessagingProperties properties) {
        return new PerKeyOrder(properties.consumer().consumerOrdering());
    }

    @Bean
    ConsumerDrain consumerDrain(InFlightLimiter limiter) {
        return new ConsumerDrain(limiter);
    }

    @Bean
    DeadLetterRecorder deadLetterRecorder(DatabaseClient database, MessagingProperties properties) {
        return new DeadLetterRecorder(database, properties.broker(), properties.consumer().maxAttempts());
    }
}
