package dev.loombench.orders.mvc.messaging.rabbit;

import java.time.Duration;
import java.util.List;

import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.ExchangeBuilder;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.config.RetryInterceptorBuilder;
import org.springframework.amqp.rabbit.config.SimpleRabbitListenerContainerFactory;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.boot.amqp.autoconfigure.RabbitListenerRetrySettingsCustomizer;
import org.springframework.boot.amqp.autoconfigure.SimpleRabbitListenerContainerFactoryConfigurer;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.backoff.FixedBackOff;

import dev.loombench.orders.domain.event.PoisonMessageException;
import dev.loombench.orders.domain.event.RelaySettings;
import dev.loombench.orders.mvc.messaging.MessagingProperties;
import dev.loombench.orders.mvc.messaging.consumer.DeadLetterRecorder;
import dev.loombench.orders.mvc.messaging.consumer.OrderEventProcessor;

/**
 * {@code ORDERS_BROKER=rabbitmq}: the topology (declared by RabbitAdmin on every connect), the relay's publisher,
 * the listeners and their retries. Connection, confirms, prefetch and concurrency are Boot's {@code spring.rabbitmq.*}
 * in application.properties; Boot also puts the containers on virtual threads when {@code ORDERS_VIRTUAL_THREADS=true}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "orders.messaging.broker", havingValue = "rabbitmq")
class RabbitMessagingConfiguration {

    /** Rejected messages leave the queue through the dead-letter exchange, routed by the dead-letter queue's name. */
    @Bean
    Declarables orderEventTopology(RabbitTopology topology) {
        DirectExchange exchange = ExchangeBuilder.directExchange(topology.exchange()).durable(true).build();
        Queue queue = QueueBuilder.durable(topology.queue())
            .deadLetterExchange(topology.deadLetterExchange())
            .deadLetterRoutingKey(topology.deadLetterQueue())
            .build();
        DirectExchange deadLetterExchange = ExchangeBuilder.directExchange(topology.deadLetterExchange())
            .durable(true)
            .build();
        Queue deadLetterQueue = QueueBuilder.durable(topology.deadLetterQueue()).build();
        return new Declarables(exchange, queue, BindingBuilder.bind(queue).to(exchange).with(topology.routingKey()),
                deadLetterExchange, deadLetterQueue,
                BindingBuilder.bind(deadLetterQueue).to(deadLetterExchange).with(topology.deadLetterQueue()));
    }

    /**
     * Boot builds the listeners' retry interceptor ({@code spring.rabbitmq.listener.simple.retry.enabled}) and, once
     * it gives up, rejects without requeue: into the dead-letter exchange. This sets its attempts and fixed backoff
     * from {@code ORDERS_CONSUMER_*} and makes a poison message give up at once.
     */
    @Bean
    RabbitListenerRetrySettingsCustomizer orderEventRetry(MessagingProperties messaging) {
        return (settings) -> {
            settings.setMaxRetries(messaging.maxAttempts() - 1L);
            settings.setDelay(Duration.ofMillis(messaging.backoffMs()));
            settings.setMaxDelay(Duration.ofMillis(messaging.backoffMs()));
            settings.setMultiplier(1.0);
            settings.setExceptionExcludes(List.of(PoisonMessageException.class));
        };
    }

    /** For the dead-letter listener: recording a dead letter is retried until it succeeds (the database is back). */
    @Bean
    SimpleRabbitListenerContainerFactory deadLetterRabbitListenerContainerFactory(
            SimpleRabbitListenerContainerFactoryConfigurer configurer, ConnectionFactory connectionFactory,
            MessagingProperties messaging) {
        SimpleRabbitListenerContainerFactory factory = new SimpleRabbitListenerContainerFactory();
        configurer.configure(factory, connectionFactory);
        factory.setAdviceChain(RetryInterceptorBuilder.stateless()
            .configureRetryPolicy((policy) -> policy.backOff(new FixedBackOff(messaging.backoffMs())))
            .build());
        return factory;
    }

    @Bean
    RabbitOutboxPublisher rabbitPublisher(RabbitTemplate rabbit, RabbitTopology topology) {
        return new RabbitOutboxPublisher(rabbit, topology.exchange(), topology.routingKey(), RelaySettings.ACK_TIMEOUT);
    }

    @Bean
    RabbitOrderEventListener rabbitListeners(OrderEventProcessor consumer, DeadLetterRecorder deadLetters) {
        return new RabbitOrderEventListener(consumer, deadLetters);
    }
}
