"""Demo data for OneTrip: 丽水市莲都区 with its departments, service hall, catalogue and users.

Plain Python data modules and a loader (`onetrip.demo.loader.load_demo`); not a Django app. The figures
and the items follow the Zhejiang source documents (Lishui's inter-departmental reform, Hangzhou's one-thing
reports, the provincial one-window notices). Run with `onetrip demo`.
"""
