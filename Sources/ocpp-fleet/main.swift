print("ocpp-fleet")
