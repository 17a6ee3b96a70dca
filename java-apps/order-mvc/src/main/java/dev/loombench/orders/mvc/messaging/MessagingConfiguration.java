package dev.loombench.orders.mvc.messaging;

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

    @Bean
    OutboxRelay outboxRelay(JdbcClient jdbc, TransactionTemplate transaction, OutboxPublisher publisher,
            MessagingProperties messaging, MeterRegistry meters) {
        return new OutboxRelay(jdbc, transaction, publisher, messaging.relayBatchSize(),
                messaging.relayPollIntervalMs(), meters);
    }

    @Bean
    OrderEventProcessor orderEventProcessor(InventoryClient inventory, JdbcClient jdbc,
            TransactionTemplate transaction, MessagingProperties messaging, MeterRegistry meters) {
        return new OrderEventProcessor(inventory, jdbc, transaction, messaging.broker(), messaging.consumerDelayMs(),
                meters);
    }

    @Bean
    DeadLetterRecorder deadLetterRecorder(JdbcClient jdbc) {
        return new DeadLetterRecorder(jdbc);
    }
}
