package dev.loombench.orders.domain.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Counts the live platform threads of each pool a variant runs, recognised by thread name, at the moment of the
 * call: the effective thread footprint, including pools nobody configured (e.g. r2dbc-postgresql's own event
 * loops). Virtual threads are not listed by the JVM and so are never counted; their carriers are platform threads.
 * Pools that start lazily show 0 until first used.
 */
public final class LiveThreads {

    /** The key of the count of every live platform thread, pooled or not. */
    public static final String TOTAL = "total";

    private LiveThreads() {
    }

    /** One entry per pool, in the given order, then {@link #TOTAL}. */
    public static Map<String, Integer> count(Map<String, Predicate<Thread>> pools) {
        Set<Thread> threads = Thread.getAllStackTraces().keySet();
        Map<String, Integer> counts = new LinkedHashMap<>();
        pools.forEach((name, member) -> counts.put(name,
                (int) threads.stream().filter(Thread::isAlive).filter(member).count()));
        counts.put(TOTAL, (int) threads.stream().filter(Thread::isAlive).count());
        return counts;
    }

    public static Predicate<Thread> namedStartingWith(String prefix) {
        return (thread) -> thread.getName().startsWith(prefix);
    }
}
