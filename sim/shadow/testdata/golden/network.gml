graph [
  directed 0
  node [
    id 0
    label "3 attendees who reach each other"
    host_bandwidth_down "20 Mbit"
    host_bandwidth_up "20 Mbit"
  ]
  node [
    id 1
    label "relay-0"
    host_bandwidth_down "1 Gbit"
    host_bandwidth_up "1 Gbit"
  ]
  edge [
    source 0
    target 0
    latency "5 ms"
    packet_loss 0.01
  ]
  edge [
    source 0
    target 1
    latency "5 ms"
    packet_loss 0.01
  ]
  edge [
    source 1
    target 1
    latency "5 ms"
    packet_loss 0.01
  ]
]
