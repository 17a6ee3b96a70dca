package dev.loombench.orders.webflux.messaging.kafka;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.kafka.autoconfigure.DefaultKafkaProducerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;

import dev.loombench.orders.domain.event.KafkaProducerSettings;
import dev.loombench.orders.webflux.messaging.MessagingProperties;
import dev.loombench.orders.webflux.messaging.consumer.DeadLetterRecorder;
import dev.loombench.orders.webflux.messaging.consumer.InFlightLimiter;
import dev.loombench.orders.webflux.messaging.consumer.OrderEventProcessor;
import dev.loombench.orders.webflux.messaging.consumer.PerKeyOrder;

/**
 * {@code ORDERS_BROKER=kafka}: on top of Boot's auto-configured producer, consumer factory and listener container
 * factory (spring.kafka.* in application.properties; the producer's settings are order-domain's
 * {@link KafkaProducerSettings}), the topics, the relay's publisher, the dead-letter
 * publisher and the listeners.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "orders.messaging.broker", havingValue = "kafka")
class KafkaMessagingConfiguration {

    /** Created (or grown to this many partitions) by Boot's KafkaAdmin at start-up. */
    @Bean
    NewTopic orderEventsTopic(MessagingProperties properties) {
        return TopicBuilder.name(properties.kafka().topic()).partitions(properties.kafka().partitions()).build();
    }

    /** Same partitions: the recoverer sends a dead letter to the partition its record came from. */
    @Bean
    NewTopic orderEventsDeadLetterTopic(MessagingProperties properties) {
        return TopicBuilder.name(properties.kafka().deadLetterTopic())
            .partitions(properties.kafka().partitions())
            .build();
    }

    /** The producer settings every variant shares (order-domain), over whatever spring.kafka.producer.* says. */
    @Bean
    DefaultKafkaProducerFactoryCustomizer sharedProducerSettings() {
        return (factory) -> factory.updateConfigs(KafkaProducerSettings.PROPERTIES);
    }

    @Bean
    KafkaOutboxPublisher kafkaOutboxPublisher(KafkaTemplate<String, String> template, MessagingProperties properties) {
        return new KafkaOutboxPublisher(template, properties.kafka().topic());
    }

    /** spring-kafka 4's own default is {@code <topic>-dlt}; the contract's name is {@code <topic>.DLT}. */
    @Bean
    KafkaDeadLetterPublisher kafkaDeadLetterPublisher(KafkaTemplate<String, String> template,
            MessagingProperties properties) {
        String deadLetterTopic = properties.kafka().deadLetterTopic();
        return new KafkaDeadLetterPublisher(new DeadLetterPublishingRecoverer(template,
                (record, failure) -> new TopicPartition(deadLetterTopic, record.partition())));
    }

    @Bean
    KafkaOrderEventListener kafkaOrderEventListener(OrderEventProcessor processor, InFlightLimiter limiter,
            PerKeyOrder order, KafkaDeadLetterPublisher deadLetterTopic, DeadLetterRecorder deadLetters) {
        return new KafkaOrderEventListener(processor, limiter, order, deadLetterTopic, deadLetters);
    }

    @Bean
    KafkaBrokerSettings kafkaBrokerSettings(NewTopic orderEventsTopic, KafkaListenerEndpointRegistry registry,
            ProducerFactory<?, ?> producers, ConsumerFactory<?, ?> consumers) {
        return new KafkaBrokerSettings(orderEventsTopic, registry, producers, consumers);
    }
}
