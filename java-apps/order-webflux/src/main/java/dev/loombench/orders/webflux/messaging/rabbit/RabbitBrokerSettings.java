package dev.loombench.orders.webflux.messaging.rabbit;

import java.util.Map;

import org.springframework.amqp.rabbit.listener.MessageListenerContainer;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.beans.DirectFieldAccessor;

import dev.loombench.orders.webflux.messaging.BrokerSettings;

/**
 * Consumers and prefetch of the running listener container. SimpleMessageListenerContainer has no getters for them,
 * so they are read from its fields rather than echoed from the properties; a field that cannot be read gives null.
 */
class RabbitBrokerSettings implements BrokerSettings {

    private final RabbitListenerEndpointRegistry registry;

    RabbitBrokerSettings(RabbitListenerEndpointRegistry registry) {
        this.registry = registry;
    }

    @Override
    public Integer partitions() {
        return null;
    }

    @Override
    public Integer listenerConcurrency() {
        return field("concurrentConsumers");
    }

    @Override
    public Integer prefetch() {
        return field("prefetchCount");
    }

    @Override
    public Map<String, Object> kafkaProducer() {
        return null;
    }

    @Override
    public Map<String, Object> kafkaConsumer() {
        return null;
    }

    private Integer field(String name) {
        MessageListenerContainer container = this.registry.getListenerContainer(RabbitOrderEventListener.CONSUMER_ID);
        if (!(container instanceof SimpleMessageListenerContainer simple)) {
            return null;
        }
        try {
            return (new DirectFieldAccessor(simple).getPropertyValue(name) instanceof Integer value) ? value : null;
        }
        catch (RuntimeException ex) {
            return null;
        }
    }
}
