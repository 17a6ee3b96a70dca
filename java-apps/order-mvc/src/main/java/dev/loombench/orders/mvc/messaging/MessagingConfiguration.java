package dev.loombench.orders.mvc.messaging;

import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.transaction.support.TransactionTemplate;

import dev.loombench.orders.mvc.messaging.relay.OutboxPublisher;
import dev.loombench.orders.mvc.messaging.relay.OutboxRelay;

/**
 * The outbox relay, whenever a broker is configured. Scheduling is enabled only here: with
 * {@code ORDERS_BROKER=none} the app runs no scheduler thread at all. Under {@code ORDERS_VIRTUAL_THREADS=true}
 * Boot's scheduler runs each poll on a virtual thread.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("'${orders.messaging.broker}' != 'none'")
@EnableScheduling
class MessagingConfiguration {

    @Bean
    OutboxRelay outboxRelay(JdbcClient jdbc, TransactionTemplate transaction, OutboxPublisher publisher,
            MessagingProperties messaging) {
        return new OutboxRelay(jdbc, transaction, publisher, messaging.relayBatchSize(),
                messaging.relayPollIntervalMs());
    }
}
