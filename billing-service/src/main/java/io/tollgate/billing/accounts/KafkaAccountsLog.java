package io.tollgate.billing.accounts;

import io.tollgate.avro.AccountEvent;
import io.tollgate.avro.ConsumerUpdated;
import io.tollgate.avro.CreditsGranted;
import io.tollgate.avro.PlanDefined;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** billing.accounts on Kafka: an idempotent producer with {@code acks=all}; every append waits for its acks. */
public final class KafkaAccountsLog implements AccountsLog {
    private final Producer<String, AccountEvent> producer;
    private final String topic;
    private final Duration timeout;

    public KafkaAccountsLog(Producer<String, AccountEvent> producer, String topic, Duration timeout) {
        this.producer = producer;
        this.topic = topic;
        this.timeout = timeout;
    }

    @Override
    public AccountsState.Position append(AccountEvent event) throws AccountsLogException {
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        try {
            if (event.getPayload() instanceof PlanDefined plan) {
                int partitions = producer.partitionsFor(topic).size();
                for (int partition = 0; partition < partitions; partition++) {
                    sends.add(producer.send(new ProducerRecord<>(topic, partition, plan.getPlan(), event)));
                }
            } else {
                sends.add(producer.send(new ProducerRecord<>(topic, consumerOf(event), event)));
            }
            RecordMetadata first = null;
            long deadline = System.nanoTime() + timeout.toNanos();
            for (Future<RecordMetadata> send : sends) {
                RecordMetadata metadata = send.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (first == null) {
                    first = metadata;
                }
            }
            return new AccountsState.Position(first.partition(), first.offset());
        } catch (ExecutionException e) {
            throw new AccountsLogException("billing.accounts did not acknowledge the write: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new AccountsLogException("billing.accounts did not acknowledge the write within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AccountsLogException("interrupted while writing to billing.accounts", e);
        } catch (RuntimeException e) {
            throw new AccountsLogException("cannot write to billing.accounts: " + e.getMessage(), e);
        }
    }

    private static String consumerOf(AccountEvent event) {
        if (event.getPayload() instanceof ConsumerUpdated consumer) {
            return consumer.getConsumer();
        }
        if (event.getPayload() instanceof CreditsGranted grant) {
            return grant.getConsumer();
        }
        throw new IllegalArgumentException("not an account event payload: " + event.getPayload());
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
