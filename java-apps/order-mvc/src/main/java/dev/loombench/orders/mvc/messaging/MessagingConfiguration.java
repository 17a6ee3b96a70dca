package dev.loombench.orders.mvc.messaging;

import java.sql.SQLException;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.transaction.support.TransactionTemplate;

import dev.loombench.orders.mvc.downstream.InventoryClient;
import dev.loombench.orders.mvc.messaging.consumer.DeadLetterRecorder;
import dev.loombench.orders.mvc.messaging.consumer.OrderEventProcessor;
import dev.loombench.orders.mvc.messaging.relay.OutboxPublisher;
import dev.loombench.orders.mvc.messaging.relay.OutboxRelay;
import dev.loombench.orders.mvc.messaging.relay.RelayDatabase;

/**
 * What both brokers share: the outbox relay (publishing through the broker's {@link OutboxPublisher}), the
 * consumer's work and the dead-letter recorder. Absent with {@code ORDERS_BROKER=none}, and scheduling is enabled
 * only here, so such an app runs no scheduler thread and registers no event meters. Under
 * {@code ORDERS_VIRTUAL_THREADS=true} Boot's scheduler runs each poll on a virtual thread.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${orders.messaging.broker}' != 'none'")
@EnableScheduling
class MessagingConfiguration {

    /**
     * The relay's connections: its own pool unless {@code ORDERS_RELAY_DB_POOL=0}. Its thread needs no such choice:
     * {@code @Scheduled} polls run on Spring's scheduling thread ({@code scheduling-1}, or a virtual thread under
     * {@code ORDERS_VIRTUAL_THREADS=true}), never on a listener thread, which is what order-webflux's own relay
     * scheduler gives its relay.
     */
    @Bean(destroyMethod = "close")
    RelayDatabase relayDatabase(DataSource dataSource, JdbcClient jdbc, TransactionTemplate transaction,
            MessagingProperties messaging, MeterRegistry meters) throws SQLException {
        if (messaging.relayDbPool() == 0) {
            return RelayDatabase.shared(jdbc, transaction);
        }
        return RelayDatabase.ownPool(dataSource.unwrap(HikariDataSource.class), messaging.relayDbPool(), meters);
    }

    @Bean
    OutboxRelay outboxRelay(RelayDatabase database, OutboxPublisher publisher, MessagingProperties messaging,
            MeterRegistry meters) {
        return new OutboxRelay(database.jdbc(), database.transaction(), publisher, messaging.relayBatchSize(),
                messaging.relayPollIntervalMs(), meters);
    }

    @Bean
    OrderEventProcessor orderEventProcessor(InventoryClient inventory, JdbcClient jdbc, MessagingProperties messaging,
            MeterRegistry meters) {
        return new OrderEventProcessor(inventory, jdbc, messaging.broker(), messaging.consumerDelayMs(), meters);
    }

    @Bean
    DeadLetterRecorder deadLetterRecorder(JdbcClient jdbc) {
        return new DeadLetterRecorder(jdbc);
    }
}
