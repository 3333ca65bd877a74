# The Python etcd3 client (PyPI `etcd3`) against `raftlab serve`: the article's example, put,
# get, get_prefix, delete, a watch, a transaction, a lease, a lock, status and members. Run by
# crates/serve/tests/python_etcd3.rs as `python article.py HOST PORT`; each result is one line.
import sys
import threading
import time

import etcd3

host, port = sys.argv[1], int(sys.argv[2])
etcd = etcd3.client(host=host, port=port)

etcd.put('/key', 'dooot')
value, meta = etcd.get('/key')
print('get', value.decode(), meta.key.decode(), meta.version)

etcd.put('/prefix/a', '1')
etcd.put('/prefix/b', '2')
pairs = sorted((m.key.decode(), v.decode()) for v, m in etcd.get_prefix('/prefix/'))
print('prefix', ' '.join(k + '=' + v for k, v in pairs))

events_iterator, cancel = etcd.watch('/watched')


def writer():
    time.sleep(0.5)
    etcd.put('/watched', 'hello')


threading.Thread(target=writer).start()
for event in events_iterator:
    print('watch', type(event).__name__, event.key.decode(), event.value.decode())
    cancel()
    break

ok, _ = etcd.transaction(
    compare=[etcd.transactions.value('/key') == 'dooot'],
    success=[etcd.transactions.put('/key', 'dot')],
    failure=[],
)
print('txn', ok, etcd.get('/key')[0].decode())

lease = etcd.lease(10)
etcd.put('/leased', 'x', lease=lease)
print('lease', lease.granted_ttl, 0 < lease.remaining_ttl <= 10, [k.decode() for k in lease.keys])
lease.refresh()
lease.revoke()
print('revoked', etcd.get('/leased')[0])

with etcd.lock('mylock', ttl=10) as lock:
    print('locked', lock.is_acquired())
print('unlocked', lock.is_acquired())

etcd.delete('/key')
print('deleted', etcd.get('/key')[0])

status = etcd.status()
print('status', status.version, status.leader is not None)
print('members', len(list(etcd.members)))
