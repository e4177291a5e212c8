print("metalora")
