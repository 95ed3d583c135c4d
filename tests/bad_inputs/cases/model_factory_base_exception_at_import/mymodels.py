class Stop(BaseException):
    pass


raise Stop('configuration server unreachable')
