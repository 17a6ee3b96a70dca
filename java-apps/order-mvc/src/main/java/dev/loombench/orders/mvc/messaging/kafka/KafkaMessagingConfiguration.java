package dev.loombench.orders.mvc.messaging.kafka;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;

import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.kafka.autoconfigure.ConcurrentKafkaListenerContainerFactoryConfigurer;
import org.springframework.boot.kafka.autoconfigure.DefaultKafkaProducerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.util.backoff.FixedBackOff;

import dev.loombench.orders.domain.event.KafkaProducerSettings;
import dev.loombench.orders.domain.event.PoisonMessageException;
import dev.loombench.orders.domain.event.RelaySettings;
import dev.loombench.orders.mvc.messaging.MessagingProperties;
import dev.loombench.orders.mvc.messaging.consumer.DeadLetterRecorder;
import dev.loombench.orders.mvc.messaging.consumer.OrderEventProcessor;

/**
 * {@code ORDERS_BROKER=kafka}: the topics (created by KafkaAdmin at start), the relay's publisher, the listeners and
 * their error handling. Consumer and container settings are Boot's {@code spring.kafka.*} in application.properties,
 * the producer's are order-domain's {@link KafkaProducerSettings}, shared with order-webflux; Boot also puts the
 * containers on virtual threads when {@code ORDERS_VIRTUAL_THREADS=true}.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "orders.messaging.broker", havingValue = "kafka")
class KafkaMessagingConfiguration {

    /** The producer settings every variant shares (order-domain), over whatever spring.kafka.producer.* says. */
    @Bean
    DefaultKafkaProducerFactoryCustomizer sharedProducerSettings() {
        return (factory) -> factory.updateConfigs(KafkaProducerSettings.PROPERTIES);
    }

    @Bean
    NewTopic orderEventsTopic(KafkaTopics topics) {
        return TopicBuilder.name(topics.topic()).partitions(topics.partitions()).replicas(1).build();
    }

    @Bean
    NewTopic orderEventsDeadLetterTopic(KafkaTopics topics) {
        return TopicBuilder.name(topics.deadLetterTopic()).partitions(topics.partitions()).replicas(1).build();
    }

    /**
     * The only {@code CommonErrorHandler} bean, so Boot gives it to the default container factory: a poison message
     * goes to the dead-letter topic at once, anything else after {@code ORDERS_CONSUMER_MAX_ATTEMPTS} attempts in
     * total, {@code ORDERS_CONSUMER_BACKOFF_MS} apart (blocking retries: the partition waits, order is kept). The
     * record keeps its partition on the dead-letter topic, which has as many.
     */
    @Bean
    DefaultErrorHandler orderEventsErrorHandler(KafkaTemplate<String, String> kafka, KafkaTopics topics,
            MessagingProperties messaging) {
        DeadLetterPublishingRecoverer recoverer = new DeadLetterPublishingRecoverer(kafka,
                (record, ex) -> new TopicPartition(topics.deadLetterTopic(), record.partition()));
        recoverer.setHeadersFunction((record, ex) -> new RecordHeaders(new RecordHeader[] {
                new RecordHeader(KafkaOrderEventListener.REASON_HEADER, DeadLetterRecorder
                    .reason(ex, ListenerExecutionFailedException.class)
                    .getBytes(StandardCharsets.UTF_8)) }));
        DefaultErrorHandler handler = new DefaultErrorHandler(recoverer,
                new FixedBackOff(messaging.backoffMs(), messaging.maxAttempts() - 1L));
        handler.addNotRetryableExceptions(PoisonMessageException.class);
        return handler;
    }

    /** For the dead-letter listener: recording a dead letter is retried until it succeeds (the database is back). */
    @Bean
    ConcurrentKafkaListenerContainerFactory<Object, Object> deadLetterKafkaListenerContainerFactory(
            ConcurrentKafkaListenerContainerFactoryConfigurer configurer, ConsumerFactory<Object, Object> consumers,
            MessagingProperties messaging) {
        var factory = new ConcurrentKafkaListenerContainerFactory<Object, Object>();
        configurer.configure(factory, consumers);
        factory.setCommonErrorHandler(new DefaultErrorHandler(new FixedBackOff(messaging.backoffMs())));
        return factory;
    }

    @Bean
    KafkaOutboxPublisher kafkaPublisher(KafkaTemplate<String, String> kafka, KafkaTopics topics) {
        return new KafkaOutboxPublisher(kafka, topics.topic(), RelaySettings.ACK_TIMEOUT);
    }

    @Bean
    KafkaOrderEventListener kafkaListeners(OrderEventProcessor consumer, DeadLetterRecorder deadLetters) {
        return new KafkaOrderEventListener(consumer, deadLetters);
    }
}
