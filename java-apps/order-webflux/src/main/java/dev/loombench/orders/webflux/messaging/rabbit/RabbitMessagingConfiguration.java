package dev.loombench.orders.webflux.messaging.rabbit;

import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.Declarables;
import org.springframework.amqp.core.DirectExchange;
import org.springframework.amqp.core.ExchangeBuilder;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.loombench.orders.webflux.messaging.MessagingProperties;
import dev.loombench.orders.webflux.messaging.consumer.DeadLetterRecorder;
import dev.loombench.orders.webflux.messaging.consumer.InFlightLimiter;
import dev.loombench.orders.webflux.messaging.consumer.OrderEventProcessor;
import dev.loombench.orders.webflux.messaging.consumer.PerKeyOrder;

/**
 * {@code ORDERS_BROKER=rabbitmq}: on top of Boot's auto-configured connection factory, template (confirms, returns,
 * mandatory) and listener container factory (spring.rabbitmq.* in application-rabbitmq.properties), the topology,
 * the relay's publisher and the listeners.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "orders.messaging.broker", havingValue = "rabbitmq")
class RabbitMessagingConfiguration {

    /**
     * Declared by Boot's RabbitAdmin whenever a connection opens (so again after a broker restart). Everything is
     * durable; the main queue dead-letters rejected messages to the DLX, which routes them to the DLQ.
     */
    @Bean
    Declarables orderEventTopology(MessagingProperties properties) {
        MessagingProperties.Rabbit rabbit = properties.rabbit();
        DirectExchange exchange = ExchangeBuilder.directExchange(rabbit.exchange()).durable(true).build();
        Queue queue = QueueBuilder.durable(rabbit.queue())
            .deadLetterExchange(rabbit.deadLetterExchange())
            .deadLetterRoutingKey(rabbit.deadLetterRoutingKey())
            .build();
        DirectExchange deadLetterExchange = ExchangeBuilder.directExchange(rabbit.deadLetterExchange())
            .durable(true)
            .build();
        Queue deadLetterQueue = QueueBuilder.durable(rabbit.deadLetterQueue()).build();
        Binding binding = BindingBuilder.bind(queue).to(exchange).with(rabbit.routingKey());
        Binding deadLetterBinding = BindingBuilder.bind(deadLetterQueue)
            .to(deadLetterExchange)
            .with(rabbit.deadLetterRoutingKey());
        return new Declarables(exchange, queue, binding, deadLetterExchange, deadLetterQueue, deadLetterBinding);
    }

    @Bean
    RabbitOutboxPublisher rabbitOutboxPublisher(RabbitTemplate template, MessagingProperties properties) {
        return new RabbitOutboxPublisher(template, properties.rabbit().exchange(), properties.rabbit().routingKey());
    }

    @Bean
    RabbitOrderEventListener rabbitOrderEventListener(OrderEventProcessor processor, InFlightLimiter limiter,
            PerKeyOrder order, DeadLetterRecorder deadLetters) {
        return new RabbitOrderEventListener(processor, limiter, order, deadLetters);
    }

    @Bean
    RabbitBrokerSettings rabbitBrokerSettings(RabbitListenerEndpointRegistry registry) {
        return new RabbitBrokerSettings(registry);
    }
}
