package io.tollgate.localstack;

/** A child JVM for {@link ChildWatchdogTest}: says it is up, then waits forever; {@code hang-on-exit} makes its shutdown hang. */
public final class SleepingChild {
    private SleepingChild() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length > 0 && args[0].equals("hang-on-exit")) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException ignored) {
                    // halted before
                }
            }));
        }
        System.out.println("up");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
