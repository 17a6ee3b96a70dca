package dev.loombench.orders.domain.runtime;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.OperatingSystemMXBean;

/**
 * What the JVM actually runs with, independent of the web stack. Under a container's CPU quota and memory limit the
 * JVM sizes itself from them: {@code availableProcessors}, {@code virtualThreadCarriers} (the virtual-thread
 * scheduler's parallelism), {@code gcThreads} and {@code memoryLimitBytes} are what it derived, read back so the
 * harness can prove the JVM saw the limits it set.
 */
@JsonPropertyOrder({"javaVersion", "javaVendor", "inputArguments", "maxHeapBytes", "gc", "availableProcessors",
        "virtualThreadCarriers", "gcThreads", "memoryLimitBytes"})
public record JvmSettings(String javaVersion, String javaVendor, List<String> inputArguments, long maxHeapBytes,
        List<String> gc, int availableProcessors, int virtualThreadCarriers, GcThreads gcThreads,
        long memoryLimitBytes) {

    /** HotSpot's {@code ParallelGCThreads} (stop-the-world workers) and {@code ConcGCThreads} (concurrent ones). */
    @JsonPropertyOrder({"parallel", "concurrent"})
    public record GcThreads(int parallel, int concurrent) {

        static GcThreads current() {
            HotSpotDiagnosticMXBean hotspot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            return new GcThreads(intOption(hotspot, "ParallelGCThreads"), intOption(hotspot, "ConcGCThreads"));
        }

        private static int intOption(HotSpotDiagnosticMXBean hotspot, String name) {
            try {
                return Integer.parseInt(hotspot.getVMOption(name).getValue());
            }
            catch (IllegalArgumentException unknown) {
                return -1;
            }
        }
    }

    public static JvmSettings current() {
        int processors = Runtime.getRuntime().availableProcessors();
        OperatingSystemMXBean os = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);
        return new JvmSettings(System.getProperty("java.version"), System.getProperty("java.vendor"),
                List.copyOf(ManagementFactory.getRuntimeMXBean().getInputArguments()),
                Runtime.getRuntime().maxMemory(),
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).toList(),
                processors, carriers(processors), GcThreads.current(), os.getTotalMemorySize());
    }

    /**
     * The parallelism of the virtual-thread scheduler: the JDK reads {@code jdk.virtualThreadScheduler.parallelism}
     * once, defaulting to the available processors (java.lang.VirtualThread#createDefaultScheduler).
     */
    private static int carriers(int processors) {
        String property = System.getProperty("jdk.virtualThreadScheduler.parallelism");
        try {
            return (property != null) ? Integer.parseInt(property) : processors;
        }
        catch (NumberFormatException malformed) {
            return processors;
        }
    }
}
