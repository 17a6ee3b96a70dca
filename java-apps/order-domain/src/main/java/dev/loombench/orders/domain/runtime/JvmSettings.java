package dev.loombench.orders.domain.runtime;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** What the JVM actually runs with, independent of the web stack. */
@JsonPropertyOrder({"javaVersion", "javaVendor", "inputArguments", "maxHeapBytes", "gc", "availableProcessors"})
public record JvmSettings(String javaVersion, String javaVendor, List<String> inputArguments, long maxHeapBytes,
        List<String> gc, int availableProcessors) {

    public static JvmSettings current() {
        return new JvmSettings(System.getProperty("java.version"), System.getProperty("java.vendor"),
                List.copyOf(ManagementFactory.getRuntimeMXBean().getInputArguments()),
                Runtime.getRuntime().maxMemory(),
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList(),
                Runtime.getRuntime().availableProcessors());
    }
}
