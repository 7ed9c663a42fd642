/** mirror-bucket's `plan-shards` mode: list the source once and output balanced key ranges for a matrix. */
import type { Host } from '../../runtime/host';
import type { Summary } from '../../runtime/summary';
import { shardToJson } from '../../storage/key-range';
import type { ObjectStore } from '../../storage/object-store';
import { ShardPlanner } from '../../sync/shard';
import { filterOf, type MirrorBucketInputs } from './inputs';

export async function planShards(host: Host, summary: Summary, source: ObjectStore, inputs: MirrorBucketInputs): Promise<void> {
  const planner = new ShardPlanner();
  const keep = filterOf(inputs);
  await host.group('Listing the source to balance the shards', async () => {
    for await (const object of source.list()) if (keep(object.key)) planner.add(object.key);
  });
  const shards = planner.shards(inputs.shardCount);
  host.setOutput('shards', `[${shards.map(shardToJson).join(',')}]`);
  host.setOutput('keys', String(planner.keys));
  host.info(`${planner.keys} key(s) in ${shards.length} shard(s) of about ${Math.ceil(planner.keys / shards.length)} each`);
  summary
    .heading(`Shard plan: ${shards.length} shards over ${planner.keys} keys`)
    .table(
      ['shard', 'from (inclusive)', 'to (exclusive)'],
      shards.map((shard) => [`${shard.index}/${shard.count}`, shard.range.from ?? '(first key)', shard.range.to ?? '(last key)']),
    );
}
